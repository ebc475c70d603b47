"""Each service's month beyond the bus (SNS, SQS, KMS, Logs, the unpriced target kinds), from small topologies.

Every expected number is worked by hand from the formula in the service module's docstring
(cabructl/policy/bill/*.py), under the seed profile in sa-east-1: one agent publishes 1,000 events a day,
30,000 a month, and one rule matches every one of them, so every target gets 30,000 deliveries.
A month is 30 × 86,400 = 2,592,000 seconds.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cabructl.policy import PolicyReport, evaluate_policy
from cabructl.policy.bill import ServiceBill
from cabructl.policy.bill.flows import flows
from cabructl.policy.data import BUILTIN_FOLDER
from cabructl.policy.traffic import CASES, WORST
from cabructl.resources.targets import target_kinds
from cabructl.topology import load_topology
from support import ROOT

DELIVERIES = 30_000
MONTH_SECONDS = 2_592_000
GB = 2**30
RETRY = {"attempts": 3, "max_age": "1h"}
EXAMPLE = {"agentId": "agent-7", "summary": "disk almost full on worker 3"}  # 62 bytes as compact JSON
CONTENT = {"openapi": "3.0.0", "info": {"title": "Ping", "version": "1.0.0"}, "paths": {},
           "components": {"schemas": {"Ping": {"type": "object", "required": ["agentId", "summary"], "example": EXAMPLE,
                                               "properties": {"agentId": {"type": "string"}, "summary": {"type": "string"}}}}}}
BASE: dict[str, Any] = {
    "version": 1, "project": "bill", "environment": "test", "region": "sa-east-1",
    "bus": {"name": "{prefix}bus"},
    "schemas": {"events": {"Ping": {"source": "example.agent", "detail_type": "Ping", "content": CONTENT}}},
    "agents": {"pinger": {"source": "example.agent", "events": ["Ping"], "volume": {"per_day": 1000, "per_hour": 100}}},
    "rules": {},
    "queues": {"dlq": {"retention": "14d"}},
    "topics": {"ops": {}},
    "budget": {"monthly_usd": 5, "alert_at": "90%"},
    "monitoring": {"cost_alarm": {"name": "{prefix}cost", "metric": "MatchedEvents", "statistic": "Sum", "period": "1h",
                                  "evaluation_periods": 1, "threshold": 100, "actions": ["ops"]}},
}


def target(kind: str, ref: str, **settings: Any) -> dict[str, Any]:
    return {"id": f"to-{ref}", kind: ref, "retry": RETRY, "dead_letter": "dlq", **settings}


def month(folder: Path, *targets: dict[str, Any], consumes: tuple[str, ...] = (), size: int | None = None,
          profile: str | None = None, **sections: Any) -> PolicyReport:
    """The report of BASE with one rule sending every event to ``targets``; ``sections`` add to BASE's (queues
    beside the DLQ, topics beside ops) or replace them."""
    document = copy.deepcopy(BASE)
    document["rules"] = {"pings": {"pattern": {"source": ["example.agent"]}, "targets": list(targets)}}
    if consumes:
        document["agents"]["pinger"]["consumes"] = list(consumes)
    if size is not None:
        document["schemas"]["events"]["Ping"]["typical_size_bytes"] = size
    for key, value in sections.items():
        document[key] = {**document[key], **value} if key in ("queues", "topics") else value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "topology.yaml"
    with path.open("w", encoding="utf-8") as stream:
        YAML().dump(document, stream)
    return evaluate_policy(load_topology(str(path)), profile)


def service(report: PolicyReport, name: str) -> ServiceBill:
    assert report.model.bill is not None
    return report.model.bill.services[name]


def quantities(bill: ServiceBill) -> dict[str, float]:
    """Item key → worst-case quantity, for the items that have one."""
    return {item.key: item.quantity(WORST) for item in bill.items if item.quantity(WORST)}


def with_backbone(folder: Path, **backbone: Any) -> None:
    """policies/policy.yaml in ``folder``: the built-in one with ``model.backbone`` keys changed."""
    policies = folder / "policies"
    policies.mkdir(parents=True)
    shutil.copy(Path(BUILTIN_FOLDER) / "policy.yaml", policies / "policy.yaml")
    yaml = YAML()
    document = yaml.load((policies / "policy.yaml").read_text(encoding="utf-8"))
    document["model"]["backbone"].update(backbone)
    with (policies / "policy.yaml").open("w", encoding="utf-8") as stream:
        yaml.dump(document, stream)


# --- SNS ------------------------------------------------------------------------------------------------------------


def test_sns_prices_each_subscription_protocol(tmp_path: Path) -> None:
    report = month(tmp_path, target("topic", "alerts"), size=1000, topics={"alerts": {"subscribers": {"email": 2, "http": 1}}})
    sns = service(report, "sns")
    assert quantities(sns) == {"publishes": DELIVERIES, "email_deliveries": 2 * DELIVERIES, "http_deliveries": DELIVERIES}
    email = sns.item("email_deliveries")
    assert email.price / email.per * 100_000 == pytest.approx(2.00)  # 2 USD per 100,000 emails
    assert email.usd(WORST) == pytest.approx(60_000 * 20 / 1e6)  # 1.20 USD
    assert sns.item("http_deliveries").usd(WORST) == pytest.approx(30_000 * 0.60 / 1e6)
    assert sns.item("publishes").usd(WORST) == pytest.approx(30_000 * 0.50 / 1e6)
    assert sns.usd(WORST) == pytest.approx(1.2 + 0.018 + 0.015)
    assert not sns.not_modelled


def test_sns_http_deliveries_and_publishes_count_64_kb_chunks_emails_do_not(tmp_path: Path) -> None:
    report = month(tmp_path, target("topic", "alerts"), size=100_000, topics={"alerts": {"subscribers": {"email": 2, "http": 1}}})
    assert quantities(service(report, "sns")) == {"publishes": 2 * DELIVERIES, "email_deliveries": 2 * DELIVERIES,
                                                  "http_deliveries": 2 * DELIVERIES}


def test_sns_topic_without_subscribers_and_sms_are_not_modelled(tmp_path: Path) -> None:
    report = month(tmp_path, target("topic", "quiet"), target("topic", "texts"),
                   topics={"quiet": {}, "texts": {"subscribers": {"sms": 3}}})
    sns = service(report, "sns")
    assert quantities(sns) == {"publishes": 2 * DELIVERIES}  # SMS is never priced
    notes = " | ".join(sns.not_modelled)
    assert "topic bill-test-quiet: it declares no subscribers (topics.quiet.subscribers)" in notes
    assert "sms deliveries of topic bill-test-texts" in notes
    assert "bill-test-ops" not in notes  # the alarm's topic receives no rule's deliveries


# --- SQS ------------------------------------------------------------------------------------------------------------


def test_sqs_fifo_queue_target_is_priced_at_the_fifo_price(tmp_path: Path) -> None:
    report = month(tmp_path, target("queue", "ordered", message_group="pings"), target("queue", "plain"),
                   queues={"ordered": {"fifo": True}, "plain": {}})
    sqs = service(report, "sqs")
    assert quantities(sqs) == {"sends": DELIVERIES, "sends_fifo": DELIVERIES}
    assert sqs.item("sends_fifo").price == 0.50 and sqs.item("sends").price == 0.40
    assert sqs.usd(WORST) == pytest.approx(30_000 * (0.50 + 0.40) / 1e6)
    standard = month(tmp_path / "standard", target("queue", "plain"), queues={"plain": {}})
    assert not [item for item in service(standard, "sqs").items if item.key.endswith("_fifo")]


def test_sqs_failure_rate_adds_dead_letters_and_receives(tmp_path: Path) -> None:
    """At 10% failures: 30,000 sends + 3,000 dead letters; a failed message is received 5 times (4 extra),
    so 30,000 × (1 + 0.1 × 4) = 42,000 receives; only the 27,000 handled messages are deleted."""
    queues = {"inbox": {"redrive": {"dead_letter": "dlq", "max_receives": 5}}}
    calm = month(tmp_path / "calm", target("queue", "inbox"), consumes=("inbox",), queues=queues)
    assert quantities(service(calm, "sqs")) == {"sends": 30_000, "receives": 30_000, "deletes": 30_000, "empty_receives": 129_600}
    with_backbone(tmp_path / "failing", delivery_failure_rate=0.1)
    failing = month(tmp_path / "failing", target("queue", "inbox"), consumes=("inbox",), queues=queues)
    assert quantities(service(failing, "sqs")) == pytest.approx(
        {"sends": 33_000, "receives": 42_000, "deletes": 27_000, "empty_receives": 129_600})


def test_sqs_consumed_dead_letter_queue_receives_what_lands_there(tmp_path: Path) -> None:
    """The agent also reads `dlq`: at 10% failures it gets EventBridge's 3,000 dead letters and the 3,000 messages
    SQS's redrive moves out of `inbox` (a move is no request: sends stay 33,000). It receives the 6,000 once each
    (`dlq` has no redrive) and deletes 90% of them; the idempotency table claims and completes every one."""
    with_backbone(tmp_path, delivery_failure_rate=0.1)
    report = month(tmp_path, target("queue", "inbox"), consumes=("inbox", "dlq"), idempotency={"table": "handled"},
                   queues={"inbox": {"redrive": {"dead_letter": "dlq", "max_receives": 5}}})
    assert quantities(service(report, "sqs")) == pytest.approx(
        {"sends": 33_000, "receives": 42_000 + 6_000, "deletes": 27_000 + 5_400, "empty_receives": 2 * 129_600})
    dynamodb = service(report, "dynamodb")
    assert dynamodb.item("writes").quantity(WORST) == pytest.approx((30_000 + 6_000) * (2 + 0.1 * 2))
    # Records kept for each queue's retention: inbox 4 days (the SQS default), dlq 14 days.
    assert dynamodb.item("storage").quantity(WORST) == pytest.approx((30_000 * 4 + 6_000 * 14) / 30 * 200 / GB)


@pytest.mark.parametrize(("wait", "empty"), [("10s", MONTH_SECONDS / 10), ("20s", MONTH_SECONDS / 20), (None, MONTH_SECONDS / 20)])
def test_sqs_empty_receives_follow_the_receive_wait(tmp_path: Path, wait: str | None, empty: float) -> None:
    """A queue that does not long-poll is polled by the SDK for 20 s at a time."""
    report = month(tmp_path, target("queue", "inbox"), consumes=("inbox",), queues={"inbox": {"receive_wait": wait} if wait else {}})
    sqs = service(report, "sqs")
    assert sqs.item("empty_receives").quantity(WORST) == pytest.approx(empty)
    assert sqs.item("empty_receives").fixed and sqs.item("empty_receives").by_agent.keys() == {"pinger"}


def test_sqs_queue_nobody_consumes_has_no_receives_and_is_named(tmp_path: Path) -> None:
    report = month(tmp_path, target("queue", "inbox"), queues={"inbox": {}})
    sqs = service(report, "sqs")
    assert quantities(sqs) == {"sends": DELIVERIES}
    assert any("no declared agent consumes" in note and "bill-test-inbox" in note for note in sqs.not_modelled)


# --- KMS ------------------------------------------------------------------------------------------------------------


def test_kms_prices_keys_and_the_requests_of_encrypted_queues(tmp_path: Path) -> None:
    """2,592,000 s / 300 s = 8,640 data-key periods; an encrypted queue EventBridge produces to and one agent
    consumes makes 8,640 × (2 × 1 + 1) = 25,920 requests; an encrypted unconsumed DLQ 8,640 × 2 = 17,280."""
    keys = {"messages": {"description": "queued messages"}, "spare": {"description": "not used yet"}}
    report = month(tmp_path, target("queue", "inbox"), consumes=("inbox",), keys=keys,
                   queues={"inbox": {"encryption": "messages"}, "dlq": {"retention": "14d", "encryption": "messages"}})
    kms = service(report, "kms")
    assert kms.item("keys").usd(WORST) == pytest.approx(2 * 1.00)
    assert kms.item("requests").quantity(WORST) == pytest.approx(25_920 + 17_280)
    assert kms.usd(WORST) == pytest.approx(2.00 + 43_200 * 3.00 / 1e6)
    assert not kms.not_modelled
    assert all(item.fixed for item in kms.items)


def test_kms_bus_under_a_key_is_not_modelled(tmp_path: Path) -> None:
    report = month(tmp_path, target("queue", "inbox"), keys={"events": {"description": "the bus"}},
                   bus={"name": "{prefix}bus", "encryption": "events"}, queues={"inbox": {}})
    kms = service(report, "kms")
    assert kms.item("keys").quantity(WORST) == 1 and kms.item("requests").quantity(WORST) == 0
    assert any("the bus" in note and "customer-managed key" in note for note in kms.not_modelled)


# --- CloudWatch Logs ------------------------------------------------------------------------------------------------


def test_logs_input_path_delivers_fewer_bytes(tmp_path: Path) -> None:
    """The whole event is what EventBridge measures (the traffic model's event bytes); ``$.detail`` is the
    example alone, 62 bytes. Each log event counts 26 bytes more."""
    whole = month(tmp_path / "whole", target("log_group", "audit"), log_groups={"audit": {"retention": "7d"}})
    slim = month(tmp_path / "slim", target("log_group", "audit", input_path="$.detail"), log_groups={"audit": {"retention": "7d"}})
    event_bytes = whole.model.agents["pinger"].event_bytes
    assert event_bytes > 62
    for report, delivered in ((whole, event_bytes), (slim, 62)):
        ingestion = service(report, "logs").item("ingestion")
        assert ingestion.quantity(WORST) == pytest.approx(DELIVERIES * (delivered + 26) / GB)
        assert ingestion.usd(WORST) == pytest.approx(ingestion.quantity(WORST) * 0.90)
    assert service(slim, "logs").usd(WORST) < service(whole, "logs").usd(WORST)


@pytest.mark.parametrize(("retention", "days"), [("1d", 1), ("7d", 7), ("30d", 30), (None, 365)])
def test_logs_storage_follows_the_group_retention(tmp_path: Path, retention: str | None, days: int) -> None:
    """A group holds its retention's days of ingestion; one that never expires is priced at 365 days."""
    report = month(tmp_path, target("log_group", "audit", input_path="$.detail"),
                   log_groups={"audit": {"retention": retention} if retention else {}})
    logs = service(report, "logs")
    ingested = DELIVERIES * (62 + 26) / GB
    assert logs.item("storage").quantity(WORST) == pytest.approx(ingested * days / 30)
    assert logs.item("storage").usd(WORST) == pytest.approx(ingested * days / 30 * 0.0408)


# --- target kinds nothing here prices -------------------------------------------------------------------------------

ALL_TARGETS = ROOT / "examples" / "all-targets.yaml"


def test_unpriced_target_kinds_are_listed_by_label() -> None:
    report = evaluate_policy(load_topology(str(ALL_TARGETS)))
    assert report.model.bill is not None
    notes = report.model.bill.not_modelled
    for key in ("function", "state_machine", "stream", "event_bus", "api_destination"):
        kind = target_kinds()[key]
        assert kind.unpriced
        assert any(note.startswith(f"{kind.label} targets (") and kind.unpriced in note for note in notes), key
    for key in ("log_group", "topic", "queue"):
        assert not any(note.startswith(f"{target_kinds()[key].label} targets") for note in notes)


@pytest.mark.parametrize(("profile", "cross_account_price"), [("seed", 0.0), ("aws", 0.05)])
def test_api_destinations_and_other_accounts_add_to_eventbridge(profile: str, cross_account_price: float) -> None:
    """The developer's 500 events a day (15,000 a month) all match `changes`: one API-destination invocation
    each, and one delivery (one 64 KB chunk) to the peer bus in account 111122223333."""
    report = evaluate_policy(load_topology(str(ALL_TARGETS)), profile)
    eventbridge = service(report, "eventbridge")
    invocations = eventbridge.item("api_destination_invocations")
    assert invocations.by_agent.keys() == {"developer"} and invocations.quantity(WORST) == 15_000
    assert invocations.usd(WORST) == pytest.approx(15_000 * 0.20 / 1e6)
    cross = eventbridge.item("cross_account_delivery")
    assert cross.by_agent.keys() == {"developer"} and cross.quantity(WORST) == 15_000
    assert cross.usd(WORST) == pytest.approx(15_000 * cross_account_price / 1e6)
    other = [flow for flow in flows(load_topology(str(ALL_TARGETS)), report.model, report.model.parameters.size) if flow.other_account]
    assert [flow.target.id for flow in other] == ["peer"]
    for case in CASES:  # what deliveries add is beyond the traffic projection
        assert eventbridge.usd(case) == pytest.approx(report.model.total(case).total + invocations.usd(case) + cross.usd(case))
