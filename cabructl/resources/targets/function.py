"""A Lambda function as a rule's target (``function: <ARN or name>``): referenced, never created.

EventBridge invokes a function in the rule's account through the function's resource
policy, not a role: cabructl owns one statement per rule and function in that policy
(``lambda.permission``), marked by its Sid, and never touches anyone else's. The
invocation is asynchronous (``InvocationType=Event``): once Lambda accepts it the
delivery has succeeded, and what the function then does is Lambda's to retry.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Mapping

from cabructl.resources.base import Context
from cabructl.resources.targets.base import Clients, Delivery, Outgoing, TargetKind
from cabructl.resources.targets.referenced import referenced_arn
from cabructl.topology.model import Topology

function_arn = referenced_arn("lambda", "function:")
# The local endpoint's record of every function invocation (``cabructl local invocations``).
INVOCATIONS_PATH = "/_cabructl/invocations"


def permission_logical(topology: Topology, context: Context, rule_logical: str, reference: str) -> str:
    """The statement that lets the rule invoke the function: one per rule and function."""
    from cabructl.resources.delivery_grants import function_name

    return f"{rule_logical}/{function_name(function_arn(topology, context, reference))}"


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for a function target: an asynchronous Invoke with the rendered input."""
    clients("lambda", outgoing.arn).invoke(FunctionName=outgoing.arn, InvocationType="Event", Payload=outgoing.body.encode())


def live_policy(clients: Clients, arn: str) -> Mapping[str, Any] | None:
    """The function's resource policy (GetPolicy). Lambda answers ResourceNotFound both for a function
    without a policy and for no function: only the second is the delivery's NO_RESOURCE."""
    lambda_ = clients("lambda", arn)
    try:
        text = lambda_.get_policy(FunctionName=arn)["Policy"]
    except lambda_.exceptions.ResourceNotFoundException:
        lambda_.get_function(FunctionName=arn)  # raises when the function itself is missing
        return None
    return json.loads(text) if text else None


def watch(aws: Any, topology: Topology, context: Context, reference: str) -> Callable[[], Iterator[str]]:
    """The events the local endpoint invoked the function with since watching began (its record of
    invocations, ``GET /_cabructl/invocations``): a function's own effects are its code's to show."""
    from cabructl.resources.delivery_grants import function_name

    name = function_name(function_arn(topology, context, reference))
    return recorded(aws, lambda item: item.get("kind") == "function" and item.get("function_name") == name,
                    lambda item: json.dumps(item.get("event")))


def recorded(aws: Any, wanted: Callable[[Mapping[str, Any]], bool],
             text: Callable[[Mapping[str, Any]], str]) -> Callable[[], Iterator[str]]:
    """A reader of the local endpoint's invocations that ``wanted`` selects, recorded since this call.

    The record is a control call of the endpoint ``aws`` talks to, which must be on loopback: on
    AWS there is no such record, and nothing but loopback is ever called.
    """
    import urllib.request
    from urllib.parse import urlsplit

    from cabructl.hosts import is_loopback

    endpoint = str(aws.client("lambda").meta.endpoint_url).rstrip("/")
    if not is_loopback(urlsplit(endpoint).hostname or ""):
        raise ValueError(f"only a local endpoint on loopback records invocations, not {endpoint}")

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy

    def invocations() -> list[Mapping[str, Any]]:
        with opener.open(endpoint + INVOCATIONS_PATH, timeout=10) as response:
            return list(json.load(response)["invocations"])

    def newest(items: list[Mapping[str, Any]], since: int) -> int:
        return max([since, *(int(item.get("seq", 0)) for item in items)])

    seen = newest(invocations(), 0)  # each record's ``seq`` grows by one: old records may be forgotten

    def read() -> Iterator[str]:
        nonlocal seen
        found = [item for item in invocations() if int(item.get("seq", 0)) > seen]
        seen = newest(found, seen)
        yield from (text(item) for item in found if wanted(item))

    return read


FUNCTION = TargetKind(
    key="function",
    resource_kind=None,
    label="Lambda function",
    arn=function_arn,
    delivery=Delivery("cabructl.resources.lambda_permission", "lambda.permission", "statement", ("lambda:InvokeFunction",),
                      True, function_arn, permission_logical),
    service="lambda",
    watch=watch,
    send=send,
    live_policy=live_policy,
    unpriced="the function's requests and duration (AWS Lambda) and whatever it calls",
)
