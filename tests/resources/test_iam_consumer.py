"""iam.policy per consuming agent against moto: exactly its queues, their dead-letter queues, the table, the keys."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from cabructl.aws import Aws
from cabructl.engine import Action
from cabructl.policy.iam import Request, identity_allows
from cabructl.resources.base import Context
from cabructl.resources.iam_consumer import consumer_document, consumer_policy_address
from cabructl.resources.iam_policy import HANDLER
from cabructl.topology import Topology, load_topology
from support import ROOT

KINDS = [HANDLER]
CONTEXT = Context("123456789012", "sa-east-1")
QUEUE = "arn:aws:sqs:sa-east-1:123456789012:cabruca-segmentation-prod-"
TABLE = "arn:aws:dynamodb:sa-east-1:123456789012:table/cabruca-segmentation-prod-agent-state"
FIXTURE = ROOT / "tests" / "fixtures" / "topologies" / "good" / "consumers-with-redrive" / "topology.yaml"


def allowed(document: dict[str, Any], action: str, resource: str, **context: str) -> bool:
    return identity_allows([document], Request("", action, resource, context))


def test_each_consuming_agent_gets_a_consumer_policy_named_after_it(topology: Topology) -> None:
    desired = {resource.address: resource for resource in HANDLER.desired(topology, CONTEXT)}

    consumers = sorted(address for address in desired if address.endswith("-consumer"))
    assert consumers == ["iam.policy.developer-consumer", "iam.policy.product-consumer"]  # monitor and tester consume nothing
    assert desired[consumer_policy_address("developer")].name == "cabruca-segmentation-prod-developer-consumer"


def test_the_policy_reads_exactly_the_consumed_queues_and_dead_letters_to_their_dlq(topology: Topology) -> None:
    document = consumer_document(topology, CONTEXT, topology.agents["developer"])
    assert document is not None

    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"):
        assert allowed(document, action, QUEUE + "cicd-changes") and allowed(document, action, QUEUE + "test-investigation")
        assert not allowed(document, action, QUEUE + "product-requests")  # the product agent's queue
    assert allowed(document, "sqs:SendMessage", QUEUE + "eventbridge-dlq")
    assert not allowed(document, "sqs:SendMessage", QUEUE + "cicd-changes")
    assert not allowed(document, "sqs:ReceiveMessage", QUEUE + "eventbridge-dlq")
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert allowed(document, action, TABLE)
    assert not allowed(document, "dynamodb:Scan", TABLE)


def test_without_a_table_or_a_redrive_the_policy_grants_only_the_queue(topology: Topology) -> None:
    queues = {logical: replace(queue, redrive_dead_letter=None) for logical, queue in topology.queues.items()}
    bare = replace(topology, idempotency=None, queues=queues)

    document = consumer_document(bare, CONTEXT, bare.agents["product"])

    assert document is not None and [statement["Sid"] for statement in document["Statement"]] == ["ConsumeQueues"]
    assert consumer_document(bare, CONTEXT, bare.agents["monitor"]) is None


def test_keys_of_consumed_queues_decrypt_and_keys_of_dead_letter_queues_also_encrypt() -> None:
    keyed = load_topology(str(FIXTURE))
    statements = {statement["Sid"]: statement for statement in consumer_document(keyed, CONTEXT, keyed.agents["pinger"])["Statement"]}
    assert statements["EncryptDeadLetters"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statements["EncryptDeadLetters"]["Resource"] == ["arn:aws:kms:sa-east-1:123456789012:key/*"]
    assert statements["EncryptDeadLetters"]["Condition"] == {  # the key by the tags cabructl wrote on it
        "StringEquals": {"aws:ResourceTag/cabructl:address": ["kms.key.messages"], "aws:ResourceTag/cabructl:topology": ["fixture-consumers/test"]}}

    inbox_only = replace(keyed, queues={**keyed.queues, "failed": replace(keyed.queues["failed"], key=None, encryption="sqs")})
    statements = {s["Sid"]: s for s in consumer_document(inbox_only, CONTEXT, inbox_only.agents["pinger"])["Statement"]}
    assert statements["DecryptConsumed"]["Action"] == ["kms:Decrypt"] and "EncryptDeadLetters" not in statements


def test_consumer_policies_are_created_and_removed_with_consumes(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)  # also: the second plan is empty
    assert {c.address for c in plan.changes if c.action is Action.CREATE} >= {"iam.policy.developer-consumer", "iam.policy.product-consumer"}

    agents = {**topology.agents, "product": replace(topology.agents["product"], consumes=())}
    plan = converge(replace(topology, agents=agents), KINDS)

    assert [(c.address, c.action) for c in plan.changes] == [("iam.policy.product-consumer", Action.DELETE)]


def test_the_consumer_fixture_applies_and_a_second_plan_is_empty(aws: Aws, converge: Callable) -> None:
    """Keys, a queue redriving to its dead-letter queue, the table and the consumer policy, together."""
    from cabructl.resources import dynamodb_table, kms_key, sqs_queue

    keyed = load_topology(str(FIXTURE))
    plan = converge(keyed, [kms_key.HANDLER, sqs_queue.HANDLER, dynamodb_table.HANDLER, HANDLER])

    created = {change.address for change in plan.changes}
    assert {"dynamodb.table.handled", "iam.policy.pinger-consumer", "sqs.queue.failed", "sqs.queue.inbox"} <= created
