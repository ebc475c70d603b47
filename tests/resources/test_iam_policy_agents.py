"""iam.policy per agent against moto: each agent publishes only as itself; the shared one keeps only the reads.

The real topology declares ``publish: none`` on the seed's shared policy, so PutEvents is granted
only by the ``{prefix}<agent>-publisher`` policies, each conditioned on the agent's own
``events:source`` and the detail-types of the events it declares.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from cabructl.aws import Aws
from cabructl.engine import Action
from cabructl.resources.base import Context
from cabructl.resources.iam_policy import HANDLER, PUBLISHER_ADDRESS, agent_of, agent_policy_address
from cabructl.topology import Topology

KINDS = [HANDLER]
CONTEXT = Context("123456789012", "sa-east-1")
BUS = "arn:aws:events:sa-east-1:123456789012:event-bus/cabruca-agents-bus"
AGENTS = {"monitor": ("cabruca.agents.monitor", "Issue Detection Event"), "product": ("cabruca.agents.product", "Feature Request Event"),
          "developer": ("cabruca.agents.developer", "Code Change Event"), "tester": ("cabruca.agents.tester", "Test Results Event")}


def _document(aws: Aws, name: str) -> dict[str, Any]:
    iam = aws.client("iam")
    arn = f"arn:aws:iam::123456789012:policy/{name}"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def _statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_every_agent_gets_its_own_policy_beside_the_shared_one(topology: Topology) -> None:
    desired = {resource.address: resource for resource in HANDLER.desired(topology, CONTEXT)}

    assert list(desired) == ([PUBLISHER_ADDRESS] + [f"iam.policy.{agent}-publisher" for agent in topology.agents]
                             + ["iam.policy.product-consumer", "iam.policy.developer-consumer"])  # the agents that consume
    assert {agent_of(address) for address in desired} == set(AGENTS) | {None}
    assert desired[agent_policy_address("monitor")].name == "cabruca-segmentation-prod-monitor-publisher"
    # publish: none: the shared policy reads the registry and grants no PutEvents at all
    shared = _statements(desired[PUBLISHER_ADDRESS].attributes["document"])
    assert sorted(shared) == ["ReadDiscoveredSchemas", "ReadSchemas"]


def test_create_conditions_each_agents_putevents_on_its_source_and_detail_types(aws: Aws, topology: Topology,
                                                                                 converge: Callable) -> None:
    plan = converge(topology, KINDS)  # also: the second plan is empty

    assert sorted(c.address for c in plan.changes if c.action is Action.CREATE) == sorted(
        [PUBLISHER_ADDRESS] + [agent_policy_address(agent) for agent in AGENTS] + ["iam.policy.developer-consumer", "iam.policy.product-consumer"])
    for agent, (source, detail_type) in AGENTS.items():
        statements = _statements(_document(aws, f"cabruca-segmentation-prod-{agent}-publisher"))
        publish = statements["PublishOwnEvents"]
        assert (publish["Action"], publish["Resource"]) == (["events:PutEvents"], [BUS])
        assert publish["Condition"] == {"StringEquals": {"events:source": [source], "events:detail-type": [detail_type]}}
        assert statements["ReadDiscoveredSchemas"] == {"Sid": "ReadDiscoveredSchemas", "Effect": "Allow",
                                                       "Action": ["schemas:GetDiscoveredSchema"], "Resource": ["*"]}
        assert statements["ReadSchemas"]["Action"] == ["schemas:DescribeRegistry", "schemas:DescribeSchema"]


def test_a_new_event_of_an_agent_widens_only_its_own_policy(aws: Aws, topology: Topology, converge: Callable,
                                                            plan_for: Callable) -> None:
    converge(topology, KINDS)
    monitor = replace(topology.agents["monitor"], events=("IssueDetectionEvent", "TestResultsEvent"))
    changed = replace(topology, agents={**topology.agents, "monitor": monitor})

    [planned] = plan_for(changed, KINDS).changes
    assert (planned.address, planned.action, planned.changed_attributes) == (agent_policy_address("monitor"), Action.UPDATE, ("document",))
    converge(changed, KINDS)
    condition = _statements(_document(aws, "cabruca-segmentation-prod-monitor-publisher"))["PublishOwnEvents"]["Condition"]
    assert condition["StringEquals"]["events:detail-type"] == ["Issue Detection Event", "Test Results Event"]


def test_an_agent_removed_loses_its_policy(aws: Aws, topology: Topology, converge: Callable, plan_for: Callable) -> None:
    converge(topology, KINDS)
    fewer = replace(topology, agents={name: agent for name, agent in topology.agents.items() if name != "tester"})

    [planned] = plan_for(fewer, KINDS).changes
    assert (planned.address, planned.action) == (agent_policy_address("tester"), Action.DELETE)


def test_an_agent_without_events_gets_the_reads_and_no_putevents(topology: Topology) -> None:
    silent = replace(topology, agents={"monitor": replace(topology.agents["monitor"], events=())})
    [_, own] = HANDLER.desired(silent, CONTEXT)

    assert sorted(_statements(own.attributes["document"])) == ["ReadDiscoveredSchemas", "ReadSchemas"]


def test_discovery_lists_once_and_reads_each_policy_twice(aws: Aws, topology: Topology, converge: Callable) -> None:
    converge(topology, KINDS)
    aws.calls.reset()

    HANDLER.discover(aws, topology, CONTEXT, HANDLER.desired(topology, CONTEXT))

    counts = {operation: count for (service, operation), count in aws.calls.counts.items() if service == "iam"}
    assert counts == {"ListPolicies": 1, "GetPolicy": 7, "GetPolicyVersion": 7}  # shared, 4 publishers, 2 consumers
