"""The real topology's Logs ingestion and SQS requests, worked out by hand and held against the model.

Nothing here imports the bill or the size model (``cabructl.policy.bill``, ``cabructl.policy.sizes``):
topology.yaml, the schema files, policies/policy.yaml and policies/pricing.yaml are read with a
plain YAML parser, which agent's events reach which log group or queue is written down below from
the rules, and every figure is rebuilt from those. Only the model's answer is read through
``cabructl policy check --format json``, the contract these figures are compared with.

How an event is sized: what a log-group or queue target receives is the whole event EventBridge
delivers (no rule here sets ``input``, ``input_path`` or ``input_transformer``), i.e. the minified
JSON envelope (version, id, detail-type, source, account, time, region, resources, detail) around
the detail, with fixed-width placeholders for the id (a 36-character UUID), the time (a
20-character timestamp) and the account (12 digits). The detail is the schema's ``example`` when
it has one. None of the four schemas in schemas/ has one today (``test_example_sizes`` says so, one
skip per schema), so their detail is the estimate docs/policy.md and policy.yaml's
``model.size_estimate`` describe: every declared property present, the longest enum value, a
string of a known ``format`` at that format's length and any other string ``string_chars`` long,
numbers ``number_digits`` digits, arrays of ``array_items`` items, maps of ``map_entries``
``key_chars``-character keys (schema bounds such as ``maxLength``/``maxItems`` win).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cabructl.cli import cli

ROOT = Path(__file__).resolve().parents[2]
WORST = "worst_case"
REL = 1e-9


def _yaml(relative: str) -> Any:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


TOPOLOGY = _yaml("topology.yaml")
POLICY = _yaml("policies/policy.yaml")
PRICING = _yaml("policies/pricing.yaml")
REGION = TOPOLOGY["region"]  # sa-east-1: the prod environment (`environments.prod: {}`) changes nothing
DAYS = POLICY["model"]["days_per_month"]  # 30
BACKBONE = POLICY["model"]["backbone"]
SIZES = POLICY["model"]["size_estimate"]
BYTES_PER_GB = PRICING["units"]["bytes_per_gb"]  # 2^30
REQUEST_CHUNK = PRICING["units"]["request_chunk_bytes"]  # 64 KB
SECONDS_PER_DAY = 86_400
SDK_WAIT_SECONDS = 20  # what the agent SDK long-polls when a queue sets no receive_wait (each queue here sets 20s)

# -- which agent's events reach which log group and queue, read by hand from topology.yaml's rules ---------
# In the worst case every event that could match a rule does: a condition on an enum field (severity,
# status) is taken to hold for every event of the agent.
LOG_GROUP_FLOWS = {
    "agents": [
        # issue-detection-routing: source cabruca.agents.monitor, "Issue Detection Event", detail.severity exists;
        # severity is required by IssueDetectionEvent, so every monitor event.
        ("issue-detection-routing", "monitor"),
        # test-results-routing: source cabruca.agents.tester, "Test Results Event", no detail condition.
        ("test-results-routing", "tester"),
    ],
}
QUEUE_FLOWS = {
    # feature-request-routing: every product event (no detail condition).
    "product-requests": [("feature-request-routing", "product")],
    # code-change-routing: developer events with status APPROVED or MERGED; worst case all of them.
    "cicd-changes": [("code-change-routing", "developer")],
    # failed-tests: tester events with status FAILED or ERROR; worst case all of them.
    "test-investigation": [("failed-tests", "tester")],
}
# agents.*.consumes: product reads product-requests, developer reads cicd-changes and test-investigation.
# The two dead-letter queues (eventbridge-dlq, critical-events-dlq) are consumed by no declared agent, and
# with delivery_failure_rate 0 nothing is sent to them.
CONSUMERS = {"product-requests": ["product"], "cicd-changes": ["developer"], "test-investigation": ["developer"]}


def _agent_schema(agent: str) -> str:
    (schema,) = TOPOLOGY["agents"][agent]["events"]  # each agent publishes one event type
    return schema


def _volume(agent: str) -> float:
    return TOPOLOGY["agents"][agent]["volume"]["per_day"] * DAYS


def _detail_schema(name: str) -> dict[str, Any]:
    document = _yaml(TOPOLOGY["schemas"]["events"][name]["file"])
    return document["components"]["schemas"][name]


# -- the estimate, from the documented rule -------------------------------------------------------------
FORMAT_LENGTHS = {"uuid": 36, "date-time": len("2024-01-01T00:00:00.000Z"), "date": len("2024-01-01"), "time": len("00:00:00")}


def _estimate(node: dict[str, Any]) -> Any:
    if "example" in node:
        return node["example"]
    if "enum" in node:
        return max(node["enum"], key=lambda value: len(json.dumps(value)))
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        value = {key: _estimate(child) for key, child in node.get("properties", {}).items()}
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            value.update({f"{index:k>{SIZES['key_chars']}}": _estimate(extra) for index in range(SIZES["map_entries"])})
        return value
    if kind == "array":
        return [_estimate(node.get("items", {}))] * node.get("maxItems", max(SIZES["array_items"], node.get("minItems", 0)))
    if kind == "string":
        length = FORMAT_LENGTHS.get(node.get("format"), node.get("maxLength", max(SIZES["string_chars"], node.get("minLength", 0))))
        return "x" * length
    if kind in ("integer", "number"):
        return int("9" * SIZES["number_digits"])
    if kind == "boolean":
        return True
    return None


def _delivered_bytes(name: str) -> int:
    """UTF-8 bytes of the minified event EventBridge delivers for schema ``name``."""
    declared = TOPOLOGY["schemas"]["events"][name]
    detail_schema = _detail_schema(name)
    envelope = {"version": "0", "id": "0" * 36, "detail-type": declared["detail_type"], "source": declared["source"],
                "account": "0" * 12, "time": "2024-01-01T00:00:00Z", "region": REGION, "resources": [],
                "detail": detail_schema["example"] if "example" in detail_schema else _estimate(detail_schema)}
    return len(json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _request_chunks(size: int) -> int:
    return max(1, -(-size // REQUEST_CHUNK))


def _prices(service: str) -> dict[str, float]:
    return PRICING["services"][service]["regions"][REGION]["prices"]


# -- the model's answer -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(ROOT / "topology.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pricing"]["name"] == "seed" and data["pricing"]["region"] == REGION and data["environment"] == "prod"
    return data


# -- the hand-made mapping still describes topology.yaml ----------------------------------------------
def _targets(kind: str) -> dict[str, list[tuple[str, str]]]:
    """Destination → (rule, publishing agent) for every rule target of ``kind`` (log_group or queue)."""
    found: dict[str, list[tuple[str, str]]] = {}
    by_source = {agent["source"]: name for name, agent in TOPOLOGY["agents"].items()}
    for rule, spec in TOPOLOGY["rules"].items():
        for target in spec["targets"]:
            if kind in target:
                assert not {"input", "input_path", "input_transformer"} & set(target), f"{rule}: the target reshapes the event"
                for source in spec["pattern"]["source"]:
                    found.setdefault(target[kind], []).append((rule, by_source[source]))
    return found


def test_the_mapping_written_down_is_the_topologys() -> None:
    assert _targets("log_group") == LOG_GROUP_FLOWS
    assert _targets("queue") == QUEUE_FLOWS
    consumed: dict[str, list[str]] = {}
    for name, agent in TOPOLOGY["agents"].items():
        for queue in agent.get("consumes", []):
            consumed.setdefault(queue, []).append(name)
    assert consumed == CONSUMERS
    for queue in CONSUMERS:
        assert TOPOLOGY["queues"][queue]["receive_wait"] == f"{SDK_WAIT_SECONDS}s"
    assert BACKBONE["delivery_failure_rate"] == 0  # no dead letters, no extra receives or claims


@pytest.mark.parametrize("name", sorted(TOPOLOGY["schemas"]["events"]))
def test_event_sizes(name: str, model: dict[str, Any]) -> None:
    """Every schema's event, example or estimate, has the size the model gives it."""
    assert model["schemas"][name]["event_bytes"] == _delivered_bytes(name)


# -- CloudWatch Logs -------------------------------------------------------------------------------------
def test_logs_ingestion(model: dict[str, Any]) -> None:
    overhead = BACKBONE["logs_event_overhead_bytes"]  # 26 bytes counted per log event
    ingested_bytes = sum(_volume(agent) * (_delivered_bytes(_agent_schema(agent)) + overhead)
                         for flows in LOG_GROUP_FLOWS.values() for _, agent in flows)
    gb = ingested_bytes / BYTES_PER_GB
    usd = gb * _prices("logs")["ingested_per_gb"]
    item = model["services"]["logs"]["items"]["ingestion"]
    assert item["quantity"][WORST] == pytest.approx(gb, rel=REL)
    assert item["cost_usd"][WORST] == pytest.approx(usd, rel=REL)
    # 1,500,000 monitor events of 1,579 bytes + 900,000 tester events of 2,340 bytes, 26 more each:
    assert ingested_bytes == 1_500_000 * (1_579 + 26) + 900_000 * (2_340 + 26) == 4_536_900_000
    assert round(gb, 3) == 4.225 and round(usd, 2) == 3.80


def test_logs_storage(model: dict[str, Any]) -> None:
    """A steady state holds the group's retention (7 days) of what it ingests, priced per GB-month."""
    overhead = BACKBONE["logs_event_overhead_bytes"]
    retention_days = int(TOPOLOGY["log_groups"]["agents"]["retention"].rstrip("d"))
    ingested_gb = sum(_volume(agent) * (_delivered_bytes(_agent_schema(agent)) + overhead)
                      for _, agent in LOG_GROUP_FLOWS["agents"]) / BYTES_PER_GB
    stored = ingested_gb * BACKBONE["logs_stored_ratio"] * retention_days / DAYS
    item = model["services"]["logs"]["items"]["storage"]
    assert item["quantity"][WORST] == pytest.approx(stored, rel=REL)
    assert item["cost_usd"][WORST] == pytest.approx(stored * _prices("logs")["stored_per_gb_month"], rel=REL)


# -- SQS ---------------------------------------------------------------------------------------------------
def _sqs_requests() -> dict[str, dict[str, float]]:
    """Request kind → agent → requests a month, worst case."""
    sends: dict[str, float] = {}
    messages: dict[str, float] = {}  # queue → messages a month
    chunks: dict[str, int] = {}      # queue → chunks of its largest message
    for queue, flows in QUEUE_FLOWS.items():
        for _, agent in flows:
            size = _delivered_bytes(_agent_schema(agent))
            # EventBridge's SendMessage per 64 KB chunk, billed to the publishing agent.
            sends[agent] = sends.get(agent, 0.0) + _volume(agent) * _request_chunks(size)
            messages[queue] = messages.get(queue, 0.0) + _volume(agent)
            chunks[queue] = max(chunks.get(queue, 1), _request_chunks(size * BACKBONE["messages_per_receive"]))
    receives: dict[str, float] = {}
    deletes: dict[str, float] = {}
    empty: dict[str, float] = {}
    month_seconds = DAYS * SECONDS_PER_DAY
    for queue, agents in CONSUMERS.items():
        wait = int(TOPOLOGY["queues"][queue]["receive_wait"].rstrip("s")) or SDK_WAIT_SECONDS
        for agent in agents:
            share = messages[queue] / len(agents)
            receives[agent] = receives.get(agent, 0.0) + share / BACKBONE["messages_per_receive"] * chunks[queue]
            deletes[agent] = deletes.get(agent, 0.0) + share / BACKBONE["messages_per_delete"]
            empty[agent] = empty.get(agent, 0.0) + BACKBONE["consumer_processes"] * month_seconds / wait
    return {"sends": sends, "receives": receives, "deletes": deletes, "empty_receives": empty}


EXPECTED_TOTALS = {"sends": 1_650_000, "receives": 1_650_000, "deletes": 1_650_000, "empty_receives": 388_800}


@pytest.mark.parametrize("kind", sorted(EXPECTED_TOTALS))
def test_sqs_requests(kind: str, model: dict[str, Any]) -> None:
    by_agent = _sqs_requests()[kind]
    total = sum(by_agent.values())
    price = _prices("sqs")["standard_requests_per_million"]  # every queue here is a standard queue
    item = model["services"]["sqs"]["items"][kind]
    assert item["quantity"][WORST] == pytest.approx(total, rel=REL)
    assert item["cost_usd"][WORST] == pytest.approx(total / 1_000_000 * price, rel=REL)
    # Sends are the publishing agent's; receives, deletes and empty receives the consuming agent's.
    model_by_agent = {agent: usd[WORST] for agent, usd in item["cost_by_agent_usd"].items() if usd[WORST]}
    assert model_by_agent == pytest.approx({agent: count / 1_000_000 * price for agent, count in by_agent.items()}, rel=REL)
    # 150,000 + 600,000 + 900,000 messages; 3 consuming (agent, queue) pairs × 2,592,000 s / 20 s.
    assert total == EXPECTED_TOTALS[kind]
