"""``cabructl dlq``: one malformed message never blocks a queue, AWS failures are messages, consent is explicit.

Through click's runner against moto (or an endpoint that is not there), each
case asserting the message, the exit code and that no message was lost.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from typing import Any, Callable

import pytest
from click.testing import CliRunner, Result

from cabructl.aws import Aws, AwsSettings
from cabructl.cli import agent_cmds, cli
from cabructl.topology import Topology

from agent_backbone import REGION, Backbone
from agent_faults import DieAfter
from agent_samples import failed_event, issue, send_dead_letter
from support import TOPOLOGY

DLQ = "eventbridge-dlq"
DLQ_NAME = "cabruca-segmentation-prod-eventbridge-dlq"
MISSING_URL = "https://sqs.sa-east-1.amazonaws.com/123456789012/no-such-queue"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["dlq", *args, "-f", str(TOPOLOGY)], input=input, catch_exceptions=False)


def assert_clean_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


def good_body(text: str) -> str:
    return json.dumps(failed_event(issue(description=text).to_detail()))


def deep_body() -> str:
    """An EventBridge event whose detail holds 10,000 nested arrays: json.loads alone raises RecursionError."""
    return good_body("deep")[:-2] + ', "extra": ' + "[" * 10_000 + "]" * 10_000 + "}}"


@pytest.fixture
def dlq_url(topology: Topology, backbone: Backbone) -> str:
    return backbone.aws.client("sqs").create_queue(QueueName=topology.queues[DLQ].name)["QueueUrl"]


@pytest.fixture
def mixed_queue(backbone: Backbone, dlq_url: str) -> dict[str, str]:
    """Two good dead letters and, between them, one malformed one; message ids by role."""
    return {"first": send_dead_letter(backbone.aws, dlq_url, good_body("first")),
            "bad": send_dead_letter(backbone.aws, dlq_url, deep_body()),
            "second": send_dead_letter(backbone.aws, dlq_url, good_body("second"))}


def depth(backbone: Backbone, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = backbone.aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(value) for value in attributes.values())


# -- one malformed message among good ones -----------------------------------------------------------
def test_show_lists_the_malformed_message_and_every_good_one(mixed_queue: dict[str, str]) -> None:
    result = run("show", DLQ, "--wait", "0")
    assert result.exit_code == 0, result.output
    assert f"{DLQ}: 3 failed event(s)" in result.output
    assert result.output.count("Issue Detection Event from cabruca.agents.monitor") == 2
    assert f"- malformed message {mixed_queue['bad']}: the body: line 1, column " in result.output
    assert "nested deeper than 64 levels (the limit of event JSON)" in result.output and "Traceback" not in result.output


def test_show_as_json_marks_the_malformed_message(mixed_queue: dict[str, str]) -> None:
    result = run("show", DLQ, "--wait", "0", "--json")
    assert result.exit_code == 0, result.output
    letters = {letter["message_id"]: letter for letter in json.loads(result.stdout)[DLQ_NAME]}
    bad = letters.pop(mixed_queue["bad"])
    assert bad["event"] is None and "nested deeper than 64 levels" in bad["malformed"] and bad["body"].startswith("{")
    assert all(letter["malformed"] is None and letter["body"] is None for letter in letters.values())


def test_redrive_moves_the_good_ones_skips_the_bad_one_and_reports(backbone: Backbone, dlq_url: str,
                                                                     mixed_queue: dict[str, str]) -> None:
    result = run("redrive", DLQ, "--wait", "0", "--yes", "--via-bus")
    assert_clean_error(result, f"{DLQ}: 2 redriven, 1 left in the queue",
                       f"kept {mixed_queue['bad']}: malformed, skipped: the body: line 1, column ")
    assert sorted(event["detail"]["description"] for event in backbone.received()) == ["first", "second"]
    assert depth(backbone, dlq_url) == 1  # the malformed one, back in the queue and visible
    assert f"- malformed message {mixed_queue['bad']}" in run("show", DLQ, "--wait", "0").output


# -- consent: a terminal, or --yes ----------------------------------------------------------------------
@pytest.mark.parametrize("piped", [None, "y\n", "yes\n"], ids=["nothing", "piped-y", "piped-yes"])
def test_redrive_without_a_terminal_or_yes_refuses_and_moves_nothing(backbone: Backbone, dlq_url: str,
                                                                       mixed_queue: dict[str, str], piped: str | None) -> None:
    result = run("redrive", DLQ, "--wait", "0", input=piped)
    assert_clean_error(result, "dlq redrive needs confirmation: run it in a terminal or pass --yes; nothing was moved.")
    assert backbone.received() == [] and depth(backbone, dlq_url) == 3


def test_at_a_terminal_redrive_asks_and_a_no_moves_nothing(backbone: Backbone, dlq_url: str, mixed_queue: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent_cmds, "_stdin_is_terminal", lambda: True)
    result = run("redrive", DLQ, "--wait", "0", input="n\n")
    assert_clean_error(result, f"Redrive the events in {DLQ} to the targets that failed?", "redrive cancelled; nothing was moved.")
    assert backbone.received() == [] and depth(backbone, dlq_url) == 3


# -- AWS failures are messages, never tracebacks --------------------------------------------------------
@pytest.fixture
def dead_endpoint(monkeypatch: pytest.MonkeyPatch) -> str:
    """An endpoint URL nothing listens on; one attempt per call, so a refused connection fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    original = agent_cmds.aws_settings
    monkeypatch.setattr(agent_cmds, "aws_settings",
                        lambda *args: dataclasses.replace(original(*args), max_attempts=1, connect_timeout=2))
    return f"http://127.0.0.1:{port}"


UNREACHABLE = [
    # (id, dlq arguments ({url}: a queue URL on the dead endpoint), what the error says was being done)
    ("list", ["list"], f"finding queue {DLQ_NAME} (sqs:GetQueueUrl)"),
    ("list-url", ["list", "{url}"], "counting the messages of q (sqs:GetQueueAttributes)"),
    ("show", ["show", DLQ, "--wait", "0"], f"finding queue {DLQ_NAME} (sqs:GetQueueUrl)"),
    ("show-url", ["show", "{url}", "--wait", "0"], "receiving messages from q (sqs:ReceiveMessage)"),
    ("redrive", ["redrive", "--all", "--wait", "0", "--yes"], f"finding queue {DLQ_NAME} (sqs:GetQueueUrl)"),
    ("redrive-url", ["redrive", "{url}", "--wait", "0", "--yes"], "receiving messages from q (sqs:ReceiveMessage)"),
]


@pytest.mark.parametrize("args,doing", [case[1:] for case in UNREACHABLE], ids=[case[0] for case in UNREACHABLE])
def test_an_unreachable_endpoint_is_an_aws_error(dead_endpoint: str, args: list[str], doing: str) -> None:
    url = f"{dead_endpoint}/123456789012/q"
    result = run(*[arg.format(url=url) for arg in args], "--endpoint-url", dead_endpoint)
    assert_clean_error(result, f"error[aws-error]: {doing}: Could not connect to the endpoint URL",
                       "hint: is the endpoint up? (AWS_ENDPOINT_URL / --endpoint-url / --local)")


MISTYPED = [
    ("list", ["list", MISSING_URL], "counting the messages of no-such-queue (sqs:GetQueueAttributes)"),
    ("show", ["show", MISSING_URL, "--wait", "0"], "receiving messages from no-such-queue (sqs:ReceiveMessage)"),
    ("redrive", ["redrive", MISSING_URL, "--wait", "0", "--yes"], "receiving messages from no-such-queue (sqs:ReceiveMessage)"),
]


@pytest.mark.parametrize("args,doing", [case[1:] for case in MISTYPED], ids=[case[0] for case in MISTYPED])
def test_a_mistyped_queue_url_is_an_aws_error(backbone: Backbone, args: list[str], doing: str) -> None:
    assert_clean_error(run(*args), f"error[aws-error]: {doing}: AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist.",
                       "hint: check the queue name or URL: `cabructl dlq list` shows the topology's queues")


@pytest.fixture
def cli_aws(monkeypatch: pytest.MonkeyPatch, backbone: Backbone) -> Aws:
    """The Aws the CLI will use (on moto), for faults to be injected into it."""
    aws = Aws(AwsSettings(region=REGION))
    make: Callable[..., Any] = lambda *args: aws  # noqa: E731 - the signature of aws_from_options does not matter here
    monkeypatch.setattr(agent_cmds, "aws_from_options", make)
    return aws


def test_an_endpoint_dying_mid_redrive_still_prints_what_moved(backbone: Backbone, dlq_url: str, cli_aws: Aws) -> None:
    for n in range(12):
        send_dead_letter(backbone.aws, dlq_url, good_body(f"lost {n}"))
    DieAfter(cli_aws, "sqs.DeleteMessageBatch")  # the first ten are republished and deleted, then the endpoint is gone
    result = run("redrive", DLQ, "--wait", "0", "--yes", "--via-bus")
    assert_clean_error(result, f"{DLQ}: 10 redriven, 0 left in the queue",
                       "redrive stopped early (see the error below); messages not yet redriven are still in their queue",
                       f"error[aws-error]: receiving messages from {DLQ_NAME} (sqs:ReceiveMessage): Could not connect to the endpoint URL")
    assert result.output.index("10 redriven") < result.output.index("error[aws-error]")
    assert len(backbone.received()) == 10 and depth(backbone, dlq_url) == 2  # nothing lost: moved, or still queued


def test_an_endpoint_dying_mid_redrive_keeps_the_json_report(backbone: Backbone, dlq_url: str, cli_aws: Aws) -> None:
    for n in range(12):
        send_dead_letter(backbone.aws, dlq_url, good_body(f"lost {n}"))
    DieAfter(cli_aws, "sqs.DeleteMessageBatch")
    result = run("redrive", DLQ, "--wait", "0", "--yes", "--json", "--via-bus")
    assert result.exit_code == 1 and "Traceback" not in result.output
    [report] = json.loads(result.stdout)
    assert len(report["redriven"]) == 10 and report["failed"] == []


def test_the_consent_rule_comes_before_any_aws_call(dead_endpoint: str) -> None:
    result = run("redrive", DLQ, "--wait", "0", "--endpoint-url", dead_endpoint)
    assert_clean_error(result, "dlq redrive needs confirmation: run it in a terminal or pass --yes; nothing was moved.")
    assert "aws-error" not in result.output
