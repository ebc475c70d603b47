"""outputs: each reference resolved from live state; the agents' publisher policies as one map."""

from __future__ import annotations

from dataclasses import replace

from cabructl.resources.base import Context
from cabructl.resources.iam_policy import HANDLER, PUBLISHER_ADDRESS, agent_policy_address
from cabructl.resources.outputs import missing, output_address, resolve_outputs
from cabructl.topology import Topology

CONTEXT = Context("123456789012", "sa-east-1")
OUTPUTS = {"shared": "iam.publisher_policy.arn", "all": "iam.agent_publisher_policies.arn",
           "monitor": "iam.agent_publisher_policies.monitor.name"}


def _desired(topology: Topology) -> dict:
    return {resource.address: resource for resource in HANDLER.desired(topology, CONTEXT)}


def test_the_shared_policy_is_its_fixed_address_and_each_agent_its_own(topology: Topology) -> None:
    desired = _desired(topology)
    assert output_address("iam.publisher_policy.arn", desired) == (PUBLISHER_ADDRESS, "arn")
    assert output_address("iam.agent_publisher_policies.monitor.arn", desired) == (agent_policy_address("monitor"), "arn")


def test_the_agents_policies_are_a_map_by_agent(topology: Topology) -> None:
    desired = _desired(topology)
    values = resolve_outputs(OUTPUTS, desired, desired)  # as if applied: live is the desired state

    assert values["shared"] == "arn:aws:iam::123456789012:policy/cabruca-segmentation-prod-agent-event-publisher"
    assert values["all"] == {agent: f"arn:aws:iam::123456789012:policy/cabruca-segmentation-prod-{agent}-publisher"
                             for agent in sorted(topology.agents)}
    assert values["monitor"] == "cabruca-segmentation-prod-monitor-publisher"
    assert missing(values) == []


def test_an_agent_policy_not_created_yet_is_missing_by_name(topology: Topology) -> None:
    desired = _desired(topology)
    live = {address: resource for address, resource in desired.items() if address != agent_policy_address("tester")}

    values = resolve_outputs(OUTPUTS, live, desired)

    assert values["all"]["tester"] is None
    assert missing(values) == ["all.tester"]


def test_without_agents_the_map_is_empty(topology: Topology) -> None:
    desired = _desired(replace(topology, agents={}))
    assert resolve_outputs(OUTPUTS, desired, desired)["all"] == {}


def test_the_idempotency_table_outputs_its_name_and_arn(topology: Topology) -> None:
    from cabructl.resources import dynamodb_table
    from cabructl.topology.checks import _output_targets

    desired = {resource.address: resource for resource in dynamodb_table.HANDLER.desired(topology, CONTEXT)}
    values = resolve_outputs({"table": "idempotency.name", "table_arn": "idempotency.arn"}, desired, desired)

    assert values == {"table": "cabruca-segmentation-prod-agent-state",
                      "table_arn": "arn:aws:dynamodb:sa-east-1:123456789012:table/cabruca-segmentation-prod-agent-state"}
    assert _output_targets(topology)["idempotency"] == ("name", "arn")
    assert "idempotency" not in _output_targets(replace(topology, idempotency=None))
