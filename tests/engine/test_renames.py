"""A new ``name:`` is a replace, for every kind that can be renamed: the old resource goes, delivery works.

Parametrized over the handler registry: every kind is either renamed here or named
as one that cannot be (with the reason), so a new kind cannot slip past this test.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from cabructl.engine import Action, Engine
from cabructl.local.demo import deliver_demo_events
from cabructl.resources import handlers
from support import edit_topology, every_item

# kind → (the address renamed, text in the topology, its renamed form); "{bus}" is the deployment's bus name.
RENAMES: dict[str, tuple[str, str, str]] = {
    "events.bus": ("events.bus.bus", "name: {bus}\n", "name: {bus}-v2\n"),
    "events.archive": ("events.archive.archive", 'name: "{prefix}events-arch"', 'name: "{prefix}events-arch2"'),
    "schemas.registry": ("schemas.registry.registry", 'name: "{prefix}agent-schemas"', 'name: "{prefix}agent-schemas-v2"'),
    "sqs.queue": ("sqs.queue.test-investigation", "  test-investigation:\n    retention: 14d", '  test-investigation:\n    name: "{prefix}investigation-v2"\n    retention: 14d'),
    "sns.topic": ("sns.topic.critical-alerts", "  critical-alerts:\n    display_name", '  critical-alerts:\n    name: "{prefix}alerts-v2"\n    display_name'),
    "logs.group": ("logs.group.agents", "name: /aws/events/{project}-{environment}/agents", "name: /aws/events/{project}-{environment}/agents-v2"),
    "events.rule": ("events.rule.failed-tests", "  failed-tests:\n    description", '  failed-tests:\n    name: "{prefix}failed-v2"\n    description'),
    "cloudwatch.dashboard": ("cloudwatch.dashboard.dashboard", 'name: "{prefix}eventbridge-dashboard"', 'name: "{prefix}dashboard-v2"'),
    "cloudwatch.alarm": ("cloudwatch.alarm.cost_alarm", 'name: "{prefix}eventbridge-cost-alarm"', 'name: "{prefix}cost-alarm-v2"'),
    "dynamodb.table": ("dynamodb.table.agent-state", "  table: agent-state\n", '  table: agent-state\n  name: "{prefix}agent-state-v2"\n'),
    "iam.policy": ("iam.policy.publisher_policy", 'name: "{prefix}agent-event-publisher"', 'name: "{prefix}publisher-v2"'),
}
NOT_RENAMEABLE = {
    "events.target": "its id is its address: a new id is a new target",
    "schemas.schema": "its name is its key under schemas.events: a new name is a new schema",
    "logs.resource_policy": "cabructl names it ({prefix}eventbridge-logs); the topology cannot",
    "iam.role": "cabructl names the targets role ({prefix}eventbridge-targets); the topology cannot",
    "lambda.permission": "its Sid is derived from project, environment and rule; the topology names no statement",
    "events.bus_policy": "one per topology at a fixed address, named by its bus; its Sids are derived from the agents",
    "events.connection": "the real topology declares none: tests/resources/test_events_connection.py renames one",
    "events.api_destination": "the real topology declares none: a new name is a new one, as for its connection",
    "kms.key": "the real topology declares no key: tests/resources/test_kms_key.py gives one a new alias (a replace)",
}

# kind → does a resource of that name exist? (raw boto3, not cabructl's discovery)
Exists = Callable[[Any, str, Any], bool]


def _listed(items: list[Any], key: str, name: str) -> bool:
    return any(item[key] == name or str(item[key]).endswith(":" + name) or str(item[key]).endswith("/" + name) for item in items)


EXISTS: dict[str, Exists] = {
    "events.bus": lambda d, name, t: _listed(d.client("events").list_event_buses()["EventBuses"], "Name", name),
    "events.archive": lambda d, name, t: _listed(d.client("events").list_archives()["Archives"], "ArchiveName", name),
    "schemas.registry": lambda d, name, t: _listed(d.client("schemas").list_registries()["Registries"], "RegistryName", name),
    "sqs.queue": lambda d, name, t: any(url.endswith("/" + name) for url in d.client("sqs").list_queues().get("QueueUrls", [])),
    "sns.topic": lambda d, name, t: _listed(d.client("sns").list_topics()["Topics"], "TopicArn", name),
    "logs.group": lambda d, name, t: _listed(d.client("logs").describe_log_groups()["logGroups"], "logGroupName", name),
    "events.rule": lambda d, name, t: any(_listed(d.client("events").list_rules(EventBusName=bus)["Rules"], "Name", name)
                                          for bus in (t.bus.name, d.bus)),
    "cloudwatch.dashboard": lambda d, name, t: _listed(d.client("cloudwatch").list_dashboards()["DashboardEntries"], "DashboardName", name),
    "cloudwatch.alarm": lambda d, name, t: _listed(d.client("cloudwatch").describe_alarms()["MetricAlarms"], "AlarmName", name),
    "dynamodb.table": lambda d, name, t: name in every_item(d.client("dynamodb"), "list_tables", "TableNames"),
    "iam.policy": lambda d, name, t: _listed(every_item(d.client("iam"), "list_policies", "Policies", Scope="Local"), "PolicyName", name),
}

KINDS = [handler.kind for handler in handlers()]


def test_every_kind_is_renamed_here_or_says_why_it_cannot_be() -> None:
    assert sorted(KINDS) == sorted([*RENAMES, *NOT_RENAMEABLE])


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind in RENAMES])
def test_a_new_name_is_a_replace_the_old_resource_goes_and_delivery_works(deploy: Any, kind: str) -> None:
    deployment = deploy()
    before = deployment.topology
    address, *edit = RENAMES[kind]
    old_name = deployment.engine().desired()[address].name
    old, new = (text.replace("{bus}", deployment.bus) for text in edit)
    edit_topology(deployment.file, old, new)
    renamed = deployment.topology
    engine = deployment.engine()
    new_name = engine.desired()[address].name
    assert new_name != old_name

    plan = engine.plan()
    change = next(change for change in plan.changes if change.address == address)
    assert (change.action, "name" in change.replace_fields) == (Action.REPLACE, True), change
    assert (change.before.name, change.after.name) == (old_name, new_name)
    result = engine.apply(plan, allow_data_loss=True)
    assert result.ok, [outcome.error for outcome in result.failed]

    assert Engine(renamed, deployment.aws()).plan().empty
    assert not EXISTS[kind](deployment, old_name, before), f"{old_name} is still there"
    assert EXISTS[kind](deployment, new_name, renamed)
    rows, unexpected = deliver_demo_events(renamed, deployment.aws(), lambda _: None)
    assert rows and [str(row.destination) for row in rows if not row.arrived] == [] and unexpected == []
