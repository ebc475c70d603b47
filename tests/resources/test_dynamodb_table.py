"""dynamodb.table against moto: the idempotency table is on-demand, keyed by event id, expiring on
``expires_at``, owned by its tags; an unowned table of its name is a conflict; a delete with items needs consent."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.engine.apply import DataLossRefused
from cabructl.resources import dynamodb_table
from cabructl.resources.arns import tag_list
from cabructl.topology import Topology

KINDS = [dynamodb_table.HANDLER]
NAME = "cabruca-segmentation-prod-agent-state"
ADDRESS = "dynamodb.table.agent-state"


def tags_of(aws: Aws, name: str) -> dict[str, str]:
    client = aws.client("dynamodb")
    arn = client.describe_table(TableName=name)["Table"]["TableArn"]
    return {tag["Key"]: tag["Value"] for tag in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def test_the_table_is_on_demand_keyed_by_event_id_and_expires_records(aws: Aws, topology: Topology, converge: Callable) -> None:
    plan = converge(topology, KINDS)  # also: a second plan is empty

    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    client = aws.client("dynamodb")
    table = client.describe_table(TableName=NAME)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    ttl = client.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    tags = tags_of(aws, NAME)
    assert (tags["managed-by"], tags["cabructl:address"]) == ("cabructl", ADDRESS)


def test_ttl_turned_off_by_hand_is_turned_back_on(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable) -> None:
    converge(topology, KINDS)
    aws.client("dynamodb").update_time_to_live(TableName=NAME, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires_at"})

    plan = plan_for(topology, KINDS)
    assert [(c.address, c.action, c.changed_attributes) for c in plan.changes] == [(ADDRESS, Action.UPDATE, ("ttl",))]
    converge(topology, KINDS)
    assert aws.client("dynamodb").describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"


def test_a_tag_change_touches_only_tags(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)
    assert topology.idempotency is not None
    tagged = replace(topology, idempotency=replace(topology.idempotency, tags={"data": "idempotency"}))

    aws.calls.reset()
    converge(tagged, KINDS)

    assert aws.calls.write_calls() == ["dynamodb:TagResource"]
    assert tags_of(aws, NAME)["data"] == "idempotency"


def test_a_table_with_another_key_is_replaced(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    aws.client("dynamodb").create_table(
        TableName=NAME, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], Tags=tag_list(topology.resource_tags(address=ADDRESS)))
    aws.client("dynamodb").update_time_to_live(TableName=NAME, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})

    [change] = plan_for(topology, KINDS).changes

    assert (change.address, change.action) == (ADDRESS, Action.REPLACE)


def test_an_unowned_table_of_the_name_is_a_conflict_and_others_are_invisible(aws: Aws, topology: Topology, plan_for: Callable) -> None:
    client = aws.client("dynamodb")
    for name in (NAME, "unrelated"):
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])

    plan = plan_for(topology, KINDS)

    assert [conflict.address for conflict in plan.conflicts] == [ADDRESS]
    assert plan.changes == ()


def test_a_table_no_longer_declared_is_deleted_but_not_while_it_holds_items_without_consent(aws: Aws, topology: Topology,
                                                                                          converge: Callable) -> None:
    converge(topology, KINDS)
    aws.client("dynamodb").put_item(TableName=NAME, Item={"id": {"S": "event-1"}, "expires_at": {"N": "1"}})
    undeclared = replace(topology, idempotency=None)

    engine = Engine(undeclared, aws, kinds=KINDS)
    plan = engine.plan()
    [change] = plan.changes
    assert (change.address, change.action, change.data_loss) == (ADDRESS, Action.DELETE, "1 item")
    with pytest.raises(DataLossRefused):
        engine.apply(plan)

    converge(undeclared, KINDS)
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
