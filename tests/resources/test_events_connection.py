"""events.connection and events.api_destination against moto: the secret is read at apply time and never compared.

The topology is tests/fixtures/connections/topology.yaml (the real one declares no connections):
one API-key connection, one API destination, one rule delivering to it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cabructl.aws import Aws
from cabructl.engine import Action, Engine
from cabructl.engine.apply import NotReady
from cabructl.resources import events_api_destination, events_bus, events_connection, events_rule, events_target
from cabructl.topology import Topology, load_topology
from cabructl.topology.model import Secret
from support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "connections" / "topology.yaml"
KEY_VARIABLE = "CABRUCTL_TEST_CI_KEY"
CONNECTION = "events.connection.ci"
DESTINATION = "events.api_destination.ci-webhook"
OWN_KINDS = [events_connection.HANDLER, events_api_destination.HANDLER]
KINDS = [events_bus.HANDLER, *OWN_KINDS]


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Topology:
    monkeypatch.setenv(KEY_VARIABLE, "first-key")
    return load_topology(str(FIXTURE))


def with_connection(topology: Topology, **changes: Any) -> Topology:
    return replace(topology, connections={"ci": replace(topology.connections["ci"], **changes)})


def with_destination(topology: Topology, **changes: Any) -> Topology:
    return replace(topology, api_destinations={"ci-webhook": replace(topology.api_destinations["ci-webhook"], **changes)})


def own_changes(plan: Any) -> list[tuple[str, Action, tuple[str, ...]]]:
    return [(change.address, change.action, change.changed_attributes if change.action is Action.UPDATE else ())
            for change in plan.changes if change.kind in (events_connection.KIND, events_api_destination.KIND)]


def sent_key(aws: Aws) -> str:
    """The key the connection holds: no API returns it, so it is read from moto's own state."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.events.models import events_backends

    connection = events_backends[DEFAULT_ACCOUNT_ID][aws.region].connections["fixture-hooks-test-ci"]
    return str(connection.auth_parameters["ApiKeyAuthParameters"]["ApiKeyValue"])


def test_create_reads_back_as_declared_and_the_next_plan_is_empty(aws: Aws, hooks: Topology, converge: Any) -> None:
    plan = converge(hooks, KINDS)
    assert own_changes(plan) == [(CONNECTION, Action.CREATE, ()), (DESTINATION, Action.CREATE, ())]
    live = Engine(hooks, aws, kinds=KINDS).live()
    assert live[CONNECTION].attributes == {"authorization": "api_key", "parameters": {"name": "X-Api-Key"},
                                           "description": "CI webhook key"}
    assert live[DESTINATION].attributes == {"connection": "fixture-hooks-test-ci", "url": "https://ci.example.com/hooks/cabruca",
                                            "method": "POST", "rate_per_second": 10, "description": ""}
    assert live[DESTINATION].identity["connection_arn"] == live[CONNECTION].identity["arn"]  # the whole ARN, with AWS's id
    assert live[CONNECTION].owned and live[DESTINATION].owned and sent_key(aws) == "first-key"


def test_url_and_rate_change_in_place(aws: Aws, hooks: Topology, converge: Any) -> None:
    converge(hooks, KINDS)
    aws.calls.reset()
    plan = converge(with_destination(hooks, url="https://ci.example.com/hooks/v2", rate_per_second=None), KINDS)
    assert own_changes(plan) == [(DESTINATION, Action.UPDATE, ("rate_per_second", "url"))]
    assert aws.calls.write_calls() == ["events:UpdateApiDestination"]
    assert Engine(hooks, aws, kinds=KINDS).live()[DESTINATION].attributes["rate_per_second"] == 300  # AWS's default


def test_a_new_secret_is_not_a_change_and_any_update_sends_it(aws: Aws, hooks: Topology, converge: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    converge(hooks, KINDS)
    monkeypatch.setenv(KEY_VARIABLE, "rotated-key")
    assert Engine(hooks, aws, kinds=KINDS).plan().empty  # AWS never returns the secret: nothing to compare
    plan = converge(with_connection(hooks, description="rotated"), KINDS)
    assert own_changes(plan) == [(CONNECTION, Action.UPDATE, ("description",))]
    assert sent_key(aws) == "rotated-key"


def test_a_missing_variable_fails_the_apply_before_any_write(aws: Aws, hooks: Topology,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VARIABLE)
    engine = Engine(hooks, aws, kinds=KINDS)
    plan = engine.plan()  # planning needs no secret
    aws.calls.reset()
    with pytest.raises(NotReady, match=f"{CONNECTION}: connection fixture-hooks-test-ci: environment variable {KEY_VARIABLE} is not set"):
        engine.apply(plan)
    assert aws.calls.writes == 0
    assert [bus["Name"] for bus in aws.client("events").list_event_buses()["EventBuses"]] == ["default"]  # not even the bus
    assert aws.client("events").list_connections()["Connections"] == []


def test_the_secret_can_come_from_secrets_manager(aws: Aws, hooks: Topology, converge: Any) -> None:
    arn = aws.client("secretsmanager").create_secret(Name="ci-key", SecretString="from-secrets-manager")["ARN"]
    converge(with_connection(hooks, secret=Secret(None, arn)), KINDS)
    assert sent_key(aws) == "from-secrets-manager"


def test_an_unreadable_secret_fails_the_apply_before_any_write(aws: Aws, hooks: Topology) -> None:
    missing = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:nowhere-AbCdEf"
    engine = Engine(with_connection(hooks, secret=Secret(None, missing)), aws, kinds=KINDS)
    plan = engine.plan()
    aws.calls.reset()
    with pytest.raises(NotReady, match="cannot read Secrets Manager secret"):
        engine.apply(plan)
    assert aws.calls.writes == 0


def test_undeclared_ones_are_deleted_the_destination_first(aws: Aws, hooks: Topology, converge: Any) -> None:
    converge(hooks, KINDS)
    started: list[str] = []
    engine = Engine(replace(hooks, connections={}, api_destinations={}), aws, kinds=KINDS)
    plan = engine.plan()
    assert own_changes(plan) == [(CONNECTION, Action.DELETE, ()), (DESTINATION, Action.DELETE, ())]
    result = engine.apply(plan, progress=lambda event, change, _: started.append(change.address) if event == "start" else None)
    assert result.ok and started == [DESTINATION, CONNECTION]
    assert aws.client("events").list_connections()["Connections"] == []
    assert aws.client("events").list_api_destinations()["ApiDestinations"] == []


def test_a_new_name_makes_a_new_one_and_the_old_one_goes(aws: Aws, hooks: Topology, converge: Any) -> None:
    converge(hooks, KINDS)
    plan = converge(with_connection(hooks, name="fixture-hooks-test-ci-v2"), KINDS)
    assert sorted(own_changes(plan)) == sorted([(CONNECTION, Action.CREATE, ()), (DESTINATION, Action.UPDATE, ("connection",)),
                                                ("events.connection.ci~fixture-hooks-test-ci", Action.DELETE, ())])
    assert [item["Name"] for item in aws.client("events").list_connections()["Connections"]] == ["fixture-hooks-test-ci-v2"]


def test_a_name_outside_the_prefix_is_owned_through_its_destination(aws: Aws, hooks: Topology, converge: Any) -> None:
    outside = with_destination(with_connection(hooks, name="shared-ci"), name="shared-ci-webhook")
    converge(outside, KINDS)
    live = Engine(outside, aws, kinds=KINDS).live()
    assert live[CONNECTION].owned and live[DESTINATION].owned


def test_someone_elses_connection_of_the_declared_name_is_a_conflict(aws: Aws, hooks: Topology) -> None:
    aws.client("events").create_connection(Name="shared-ci", AuthorizationType="BASIC",
                                           AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})
    plan = Engine(with_connection(hooks, name="shared-ci"), aws, kinds=KINDS).plan()
    assert [conflict.address for conflict in plan.conflicts] == [CONNECTION]


def test_a_rule_delivers_to_the_destination_by_its_whole_arn(aws: Aws, hooks: Topology, converge: Any) -> None:
    converge(hooks, [*KINDS, events_rule.HANDLER, events_target.HANDLER])
    target, = aws.client("events").list_targets_by_rule(Rule="fixture-hooks-test-failures-to-ci",
                                                        EventBusName="fixture-hooks-test-bus")["Targets"]
    whole = aws.client("events").describe_api_destination(Name="fixture-hooks-test-ci-webhook")["ApiDestinationArn"]
    assert target["Arn"] == whole and whole.count("/") == 2  # api-destination/NAME/UUID
    assert target["HttpParameters"]["HeaderParameters"] == {"X-Source": "cabruca"}
