"""The IAM reference as parliament ships it: what each action can be granted on."""

from __future__ import annotations

import pytest

from cabructl.policy import iam_reference
from cabructl.policy.derived import DerivedDocument


def action(name: str) -> iam_reference.Action:
    [found] = iam_reference.matching(name)
    return found


@pytest.mark.parametrize("name, resource, supported", [
    pytest.param("schemas:GetDiscoveredSchema", "arn:aws:schemas:sa-east-1:1:registry/r", False, id="no-resource-type"),
    pytest.param("schemas:GetDiscoveredSchema", "*", True, id="no-resource-type-on-star"),
    pytest.param("schemas:DescribeSchema", "arn:aws:schemas:sa-east-1:1:schema/r/*", True, id="schema"),
    pytest.param("schemas:DescribeSchema", "arn:aws:schemas:sa-east-1:1:registry/r", False, id="schema-on-registry"),
    pytest.param("SQS:sendmessage", "arn:aws:sqs:sa-east-1:1:q", True, id="any-case"),
    pytest.param("sqs:SendMessage", "arn:aws:sns:sa-east-1:1:t", False, id="other-service"),
    pytest.param("logs:PutLogEvents", "arn:aws:logs:sa-east-1:1:log-group:/aws/events/x:*", True, id="log-streams-by-wildcard"),
    pytest.param("events:InvokeApiDestination", "arn:aws:events:sa-east-1:1:api-destination/hook/*", True, id="api-destination"),
])
def test_supports(name: str, resource: str, supported: bool) -> None:
    assert iam_reference.supports(action(name), resource) is supported


def test_a_wildcard_action_names_every_action_of_its_service() -> None:
    names = {found.name for found in iam_reference.matching("sqs:Get*")}
    assert {"sqs:GetQueueAttributes", "sqs:GetQueueUrl"} <= names
    assert all(name.startswith("sqs:Get") for name in names)
    assert iam_reference.matching("sqs:NoSuchAction") == []


@pytest.mark.parametrize("left, right, meet", [
    ("arn:*:sqs:*:*:*", "arn:aws:sqs:sa-east-1:1:q", True),
    ("arn:*:logs:*:*:log-group:*:log-stream:*", "arn:aws:logs:r:1:log-group:g:*", True),
    ("arn:*:logs:*:*:log-group:*:log-stream:*", "arn:aws:logs:r:1:log-group:g", False),
    ("a?c", "abc", True),
    ("a*", "*b", True),
    ("ab", "a", False),
])
def test_globs_intersect(left: str, right: str, meet: bool) -> None:
    assert iam_reference.globs_intersect(left, right) is meet


def test_without_parliament_the_reference_says_where_it_comes_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iam_reference.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(iam_reference.ReferenceUnavailable, match="pip install parliament"):
        iam_reference.reference_file()


@pytest.mark.parametrize("address, kind, path", [
    ("sqs.queue.jobs", "sqs.queue", ("queues", "jobs")),
    ("lambda.permission.pings/triage", "lambda.permission", ("rules", "pings")),
    ("logs.resource_policy.eventbridge-logs", "logs.resource_policy", ("log_groups", "eventbridge-logs")),
    ("kms.key.alerts", "kms.key", ("keys", "alerts")),
    ("new.kind.thing", "new.kind", ()),
])
def test_a_document_is_placed_at_the_declaration_that_causes_it(address: str, kind: str, path: tuple) -> None:
    """Through its handler's section; a kind no handler has (or one without a section) at the top of the file."""
    from cabructl.resources import handlers

    section = next((handler.section for handler in handlers() if handler.kind == kind), None)
    assert DerivedDocument(address, kind, ("policy",), {"Statement": []}, None, section).path == path
