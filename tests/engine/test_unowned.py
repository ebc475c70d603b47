"""Never delete what cabructl does not own: a container holding a foreign resource is kept, and says so."""

from __future__ import annotations

import json
from typing import Any


def test_destroy_keeps_a_bus_that_holds_a_rule_made_by_hand(deploy: Any) -> None:
    """Defect 4: destroy deleted the bus together with a rule someone added by hand."""
    deployment = deploy()
    events = deployment.client("events")
    events.put_rule(Name="made-by-hand", EventBusName=deployment.bus, EventPattern='{"source": ["someone.else"]}')

    destroyed = deployment.cli("destroy", "--auto-approve")

    assert destroyed.exit_code == 1, destroyed.output
    assert "Kept events.bus.bus" in destroyed.output and "made-by-hand" in destroyed.output
    assert [rule["Name"] for rule in events.list_rules(EventBusName=deployment.bus)["Rules"]] == ["made-by-hand"]
    assert events.describe_event_bus(Name=deployment.bus)["Name"] == deployment.bus
    remaining = deployment.engine().live()
    assert sorted(address for address, resource in remaining.items() if resource.owned) == ["events.bus.bus"]

    events.delete_rule(Name="made-by-hand", EventBusName=deployment.bus)
    again = deployment.cli("destroy", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert [address for address, resource in deployment.engine().live().items() if resource.owned] == []


def test_a_bus_rename_cannot_replace_a_bus_that_holds_a_foreign_rule(deploy: Any) -> None:
    """A replace would delete the old bus with the foreign rule on it: a conflict, refused before any write."""
    deployment = deploy()
    events = deployment.client("events")
    events.put_rule(Name="made-by-hand", EventBusName=deployment.bus, EventPattern='{"source": ["someone.else"]}')
    text = deployment.file.read_text(encoding="utf-8").replace(f"name: {deployment.bus}\n", f"name: {deployment.bus}-v2\n")
    deployment.file.write_text(text, encoding="utf-8")

    refused = deployment.cli("apply", "--auto-approve")

    assert refused.exit_code == 1 and "cannot replace it" in refused.output and "made-by-hand" in refused.output, refused.output
    assert [bus["Name"] for bus in events.list_event_buses(NamePrefix=f"{deployment.bus}-v2")["EventBuses"]] == []


def test_a_re_signed_plan_cannot_delete_the_target_of_a_rule_cabructl_does_not_own(deploy: Any, tmp_path: Any) -> None:
    """Defect 5: an edited plan naming a foreign target as owned deleted it. Even with the checksum
    recomputed, ownership comes from live AWS: the apply refuses and the target stays."""
    from cabructl.engine.plan_file import checksum

    deployment = deploy()
    events = deployment.client("events")
    rule = events.put_rule(Name="made-by-hand", EventBusName=deployment.bus, EventPattern='{"source": ["someone.else"]}')
    topic = next(topic["TopicArn"] for topic in deployment.client("sns").list_topics()["Topics"] if deployment.prefix in topic["TopicArn"])
    events.put_targets(Rule="made-by-hand", EventBusName=deployment.bus, Targets=[{"Id": "theirs", "Arn": topic}])
    text = deployment.file.read_text(encoding="utf-8")
    deployment.file.write_text(text.replace("  product-requests:\n    retention: 14d", "  product-requests:\n    retention: 13d"),
                               encoding="utf-8")
    out = tmp_path / "plan.json"
    assert deployment.cli("plan", "--out", str(out)).exit_code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    address = "events.target.made-by-hand/theirs"
    foreign = {"address": address, "kind": "events.target", "name": "theirs", "attributes": {"arn": topic},
               "depends_on": [], "identity": {"rule": "made-by-hand", "bus": deployment.bus, "arn": rule["RuleArn"]},
               "owned": True, "parent": "events.rule.made-by-hand"}
    document["changes"].append({"address": address, "kind": "events.target", "action": "delete", "before": foreign["attributes"],
                                "after": None, "diff": [], "reason": None, "replace_fields": [], "data_loss": None, "adopt": False})
    document["resources"][address] = {"before": foreign, "after": None}
    document["checksum"] = checksum(document)
    out.write_text(json.dumps(document), encoding="utf-8")

    refused = deployment.cli("apply", str(out), "--auto-approve")

    assert refused.exit_code == 1, refused.output
    assert f"{address}: it does not exist, or is not this topology's" in refused.output
    assert [target["Id"] for target in events.list_targets_by_rule(Rule="made-by-hand", EventBusName=deployment.bus)["Targets"]] == ["theirs"]


def test_one_rule_for_every_kind_an_untagged_resource_in_the_namespace_is_reported_never_touched(deploy: Any) -> None:
    """Like a rule added to the bus by hand, a queue and a topic under the prefix without the
    topology's tags are unmanaged drift (owned: false); plan and destroy leave them alone."""
    from cabructl.engine.drift import detect_drift

    deployment = deploy()
    queue = deployment.client("sqs").create_queue(QueueName=deployment.prefix + "hand-made")["QueueUrl"]
    topic = deployment.client("sns").create_topic(Name=deployment.prefix + "hand-made")["TopicArn"]

    unmanaged = {(item.address, item.owned) for item in detect_drift(deployment.engine()).unmanaged}
    assert {("sqs.queue.hand-made", False), ("sns.topic.hand-made", False)} <= unmanaged
    assert deployment.engine().plan().empty
    destroyed = deployment.cli("destroy", "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output
    assert deployment.client("sqs").get_queue_url(QueueName=deployment.prefix + "hand-made")["QueueUrl"] == queue
    assert topic in {item["TopicArn"] for item in deployment.client("sns").list_topics()["Topics"]}
