"""PUB001: no cabructl-owned policy lets one agent publish as another, by source or detail-type.

Each seed in ``tests/fixtures/topologies/impersonation`` has one document that lets a holder publish
as two agents: the seed's shared policy left unconditioned, and a bus policy granting one foreign
account the events of two agents. Each is one finding at the declaration that causes it. A widened
per-agent policy cannot be seeded from a topology (it is derived), so it is seeded by breaking the
derivation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.policy.impersonation import Grant, allowed_pairs, identities, impersonated
from cabructl.topology import load_topology
from support import ROOT, TOPOLOGY, edit_topology, line_of

SEEDS = ROOT / "tests" / "fixtures" / "topologies" / "impersonation"
NAMES = sorted(path.name for path in SEEDS.iterdir() if path.is_dir())
EXPECTED = {
    "shared-policy-any-agent": (("iam", "publisher_policy", "publish"), "publisher_policy:",
                                "iam.policy.publisher_policy (fixture-impersonation-test-publisher) lets whoever it is attached "
                                "to publish as agents pinger and ponger"),
    "two-agents-one-account": (("agents", "pinger", "account"), "    account: [",
                               "events.bus_policy.bus_policy (fixture-impersonation-test-bus) lets principal "
                               "arn:aws:iam::111122223333:root publish as agents pinger and ponger"),
}
SHARED_ANY = ("    publish: none\n", "    publish: any_agent\n")


def test_every_seed_says_what_it_should() -> None:
    assert sorted(EXPECTED) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_seeded_impersonation_is_one_finding_at_its_cause(evaluate, pick, name: str) -> None:
    topology = SEEDS / name / "topology.yaml"
    path, key, message = EXPECTED[name]
    [finding] = pick(evaluate(topology), "PUB001")
    assert (finding.path, finding.severity) == (path, "error")
    assert finding.line == line_of(topology, key)
    assert message in finding.message


def test_the_real_topology_lets_no_agent_publish_as_another(evaluate, pick) -> None:
    assert pick(evaluate(TOPOLOGY), "PUB001") == []


def test_the_seeds_shared_policy_is_reported_and_fails_the_check(topology_copy: Path) -> None:
    edit_topology(topology_copy, *SHARED_ANY)
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(topology_copy), "--format", "json"])
    assert result.exit_code == 1, result.output
    [finding] = [f for f in json.loads(result.output)["findings"] if f["id"] == "PUB001"]
    assert finding["line"] == line_of(topology_copy, "publish: any_agent")
    assert "publish as agents developer, monitor, product and tester" in finding["message"]


@pytest.mark.parametrize("output", ["text", "github", "markdown"])
def test_every_format_shows_it(topology_copy: Path, output: str) -> None:
    edit_topology(topology_copy, *SHARED_ANY)
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(topology_copy), "--format", output])
    assert result.exit_code == 1 and "PUB001" in result.output


def test_as_a_warning_it_is_printed_and_not_fatal(topology_copy: Path, policies_copy: Path) -> None:
    edit_topology(topology_copy, *SHARED_ANY)
    edit_topology(policies_copy / "policy.yaml", "  PUB001: {severity: error}", "  PUB001: {severity: warning}")
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(topology_copy)])
    assert result.exit_code == 0, result.output
    assert "warning PUB001" in result.output


def test_a_widened_agent_policy_is_reported_at_the_agent(evaluate, pick, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the engine to derive monitor's policy without the detail-type condition, monitor could
    publish a Code Change Event under its own source: impersonation by detail-type."""
    from cabructl.resources import iam_policy

    derived = iam_policy.agent_publisher_document

    def without_detail_type(topology: Any, context: Any, agent: Any) -> Any:
        document = derived(topology, context, agent)
        if agent.name == "monitor":
            for statement in document["Statement"]:
                statement.get("Condition", {}).get("StringEquals", {}).pop("events:detail-type", None)
        return document

    monkeypatch.setattr(iam_policy, "agent_publisher_document", without_detail_type)
    [finding] = pick(evaluate(TOPOLOGY), "PUB001")
    assert finding.path == ("agents", "monitor")
    assert "iam.policy.monitor-publisher" in finding.message and "publish as agents" in finding.message
    assert "developer" in finding.message and "monitor" in finding.message


# -- the evaluation's edges: what the evaluator cannot read counts as allowing ---------------------
BUS = "arn:aws:events:sa-east-1:123456789012:event-bus/cabruca-agents-bus"


def _grant(topology: Any, statements: list[dict[str, Any]]) -> list[str]:
    own = identities(topology)
    return impersonated(Grant("iam.policy.x", "x", None, allowed_pairs(statements, own, BUS)), own)


@pytest.fixture(scope="module")
def real() -> Any:
    return load_topology(str(TOPOLOGY))


@pytest.mark.parametrize("statement, reaches", [
    pytest.param({"Effect": "Allow", "Action": "events:*", "Resource": "*"}, 4, id="events-star"),
    pytest.param({"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS,
                  "Condition": {"stringequals": {"EVENTS:SOURCE": "cabruca.agents.monitor"}}}, 4, id="source-only-any-case"),
    pytest.param({"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS,
                  "Condition": {"StringLike": {"events:source": "cabruca.agents.*"}}}, 4, id="string-like"),
    pytest.param({"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS,
                  "Condition": {"ForAllValues:StringEquals": {"events:source": ["cabruca.agents.monitor"],
                                                              "events:detail-type": ["Issue Detection Event"]}}}, 0,
                 id="for-all-values-own"),
    pytest.param({"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS,
                  "Condition": {"StringEquals": {"events:source": "cabruca.agents.monitor"},
                                "NumericLessThan": {"events:detail-type": "1"}}}, 4, id="unknown-operator-allows"),
    pytest.param({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, 4, id="not-action"),
])
def test_the_evaluation_over_approximates(real: Any, statement: dict[str, Any], reaches: int) -> None:
    assert len(_grant(real, [statement])) == reaches


def test_a_deny_it_cannot_read_does_not_protect(real: Any) -> None:
    allow = {"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS}
    readable = {"Effect": "Deny", "Action": "events:PutEvents", "Resource": BUS,
                "Condition": {"StringNotEquals": {"events:source": "cabruca.agents.monitor"}}}
    plain_deny = {"Effect": "Deny", "Action": "events:PutEvents", "Resource": BUS}
    assert len(_grant(real, [allow, readable])) == 4  # StringNotEquals is not read: the deny may not apply
    assert _grant(real, [allow, plain_deny]) == []
