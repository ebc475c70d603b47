"""The SDK never publishes as another agent: a client speaks for one agent, refused before any call.

Consumers (and the per-agent IAM policies) trust an event's source and detail-type to say
which agent sent it; the client refuses the events of any other agent, naming its agent
and what that agent may publish, and sends nothing.
"""

from __future__ import annotations

from typing import Callable

import pytest

from cabructl.agents import EventBridgeAgent, UnknownEventError
from cabructl.agents.errors import REFUSED_EVENT_ERRORS, ImpersonationError

from agent_backbone import Backbone
from agent_samples import change, feature, issue


def _refused(backbone: Backbone, publish: Callable[[], object], agent: str, event: str) -> ImpersonationError:
    with pytest.raises(ImpersonationError) as refused:
        publish()
    message = str(refused.value)
    assert f'agent "{agent}" does not declare {event}' in message and "nothing was sent" in message
    assert backbone.aws.calls.counts[("events", "PutEvents")] == 0 and backbone.received() == []
    return refused.value


def test_a_named_agent_refuses_another_agents_event_naming_what_it_may_publish(make_agent: Callable[..., EventBridgeAgent],
                                                                                 backbone: Backbone) -> None:
    agent = make_agent("ops-7", agent="monitor")
    error = _refused(backbone, lambda: agent.publish_code_change(change()), "monitor", "CodeChangeEvent")
    assert 'it may publish only source "cabruca.agents.monitor" with detail-type "Issue Detection Event"' in str(error)
    assert 'source "cabruca.agents.developer", detail-type "Code Change Event"' in str(error)
    assert isinstance(error, UnknownEventError) and isinstance(error, REFUSED_EVENT_ERRORS)  # the CLI collects it as before


def test_an_agent_id_that_names_an_agent_binds_the_client(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent("monitor-001")
    assert agent.agent_name == "monitor"
    _refused(backbone, lambda: agent.publish_feature_request(feature()), "monitor", "FeatureRequestEvent")
    assert agent.publish_issue_detection(issue()).success


def test_otherwise_the_first_event_binds_the_client_to_its_agent(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent("dev-agent-001")  # the seed's id names no agent
    assert agent.agent_name is None
    assert agent.publish_code_change(change()).success
    assert agent.agent_name == "developer"
    backbone.aws.calls.reset()
    with pytest.raises(ImpersonationError, match='agent "developer" does not declare IssueDetectionEvent'):
        agent.publish_issue_detection(issue())
    assert backbone.aws.calls.counts[("events", "PutEvents")] == 0


def test_one_foreign_event_stops_publish_many_before_anything_is_sent(make_agent: Callable[..., EventBridgeAgent],
                                                                      backbone: Backbone) -> None:
    agent = make_agent("tester-001")
    _refused(backbone, lambda: agent.publish_many([issue(), issue()]), "tester", "IssueDetectionEvent")


def test_an_operator_client_publishes_for_every_agent(make_agent: Callable[..., EventBridgeAgent], backbone: Backbone) -> None:
    agent = make_agent("cabructl-cli", any_agent=True)
    assert agent.publish_many([issue(), change(), feature()]).published == 3
    assert sorted(event["source"] for event in backbone.received()) == [
        "cabruca.agents.developer", "cabruca.agents.monitor", "cabruca.agents.product"]
