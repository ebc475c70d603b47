"""``cabructl consume`` through click's runner, against moto in-process, with a handler module of the test's own."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result

from cabructl.cli import cli
from cabructl.topology import Topology

from agent_queues import QUEUE, Queues, consumer_queues, envelope, idempotency_table
from agent_samples import change
from support import TOPOLOGY

HANDLER_MODULE = "consume_cli_handlers"
HANDLER_SOURCE = '''
seen = []

def handle(event, context):
    if event.branch == "broken":
        raise RuntimeError("deploy failed")
    seen.append(context.event_id)

not_callable = 42
'''


@pytest.fixture
def queues(topology: Topology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Queues]:
    (tmp_path / f"{HANDLER_MODULE}.py").write_text(HANDLER_SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, HANDLER_MODULE, raising=False)
    with consumer_queues(topology) as made:
        assert topology.idempotency is not None
        idempotency_table(made.aws, topology.idempotency.name)
        yield made
    sys.modules.pop(HANDLER_MODULE, None)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["consume", *args, "-f", str(TOPOLOGY)], catch_exceptions=False)


def test_consume_prints_a_line_per_message_and_a_summary(queues: Queues) -> None:
    broken = {**json.loads(envelope(change()))["detail"], "branch": "broken"}
    queues.send(envelope(change(), event_id="ok-1"), envelope(broken, event_id="broken-1"), "not json")
    result = run(QUEUE, "--handler", f"{HANDLER_MODULE}:handle", "--idle-exit", "1", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    outcomes = sorted((line["outcome"], line["event_id"]) for line in lines if "outcome" in line)
    assert outcomes == [("dead_lettered", None), ("failed", "broken-1"), ("handled", "ok-1")]
    assert (lines[-1]["handled"], lines[-1]["dead_lettered"], lines[-1]["failed"]) == (1, 1, 1)
    assert queues.waiting() == 1  # the failed one, left for its redelivery


def test_max_messages_stops_after_that_many(queues: Queues) -> None:
    queues.send(*(envelope(change()) for _ in range(3)))
    result = run(QUEUE, "--handler", f"{HANDLER_MODULE}:handle", "--max-messages", "1")
    assert result.exit_code == 0, result.output
    assert "1 handled, 0 duplicates skipped, 0 failed, 0 dead-lettered" in result.stderr
    assert queues.waiting() == 2


@pytest.mark.parametrize("spec, says", [("no_colon", "expected module:callable"),
                                         ("no_such_module_here:handle", "cannot import"),
                                         (f"{HANDLER_MODULE}:not_callable", "is not callable")])
def test_a_bad_handler_is_a_usage_error(queues: Queues, spec: str, says: str) -> None:
    result = run(QUEUE, "--handler", spec)
    assert result.exit_code == 64 and says in result.output


def test_an_unknown_queue_exits_1_naming_the_known_ones(queues: Queues) -> None:
    result = run("cicd-chnages", "--handler", f"{HANDLER_MODULE}:handle", "--idle-exit", "0")
    assert result.exit_code == 1 and 'no queue "cicd-chnages"' in result.output and "cicd-changes" in result.output
