"""An API destination as a rule's target (``api_destination: <logical name in api_destinations>``).

The API destination is owned (``events.api_destination``); EventBridge invokes it with a
role (``events:InvokeApiDestination``). AWS completes its ARN with an id of its own
(``api-destination/<name>/<uuid>``): a plan compares the ARN without it, the role's grant
names ``<name>/*``, and PutTargets is given the full ARN, asked of AWS when it is written.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import quote, urlencode

from cabructl.resources.arns import arn_parts
from cabructl.resources.base import Context
from cabructl.resources.targets.base import Clients, Outgoing, TargetKind, from_event
from cabructl.topology.model import Topology

API_DESTINATION_RESOURCE = "api-destination/"
OFFLINE_ID = "00000000-0000-0000-0000-000000000000"  # stands for the id AWS gives, in offline proofs


def api_destination_arn(topology: Topology, context: Context, logical: str) -> str:
    """The ARN without AWS's id: what a plan can know before the API destination exists."""
    return context.arn("events", f"{API_DESTINATION_RESOURCE}{topology.api_destinations[logical].name}")


def without_id(arn: str) -> str:
    """``…:api-destination/NAME/UUID`` → ``…:api-destination/NAME``; other ARNs unchanged."""
    parts = arn_parts(arn)
    if parts is None or not parts.resource.startswith(API_DESTINATION_RESOURCE):
        return arn
    name = parts.resource.removeprefix(API_DESTINATION_RESOURCE).split("/", 1)[0]
    return arn.rsplit(":", 1)[0] + f":{API_DESTINATION_RESOURCE}{name}"


def any_id(arn: str) -> str:
    """The role's grant: the API destination of that name, whatever id AWS gave it."""
    return f"{without_id(arn)}/*"


def full_arn(aws: Any, arn: str) -> str:
    """The ARN with AWS's id, as DescribeApiDestination reports it (PutTargets needs it whole)."""
    name = without_id(arn).rsplit("/", 1)[-1]
    return str(aws.client("events").describe_api_destination(Name=name)["ApiDestinationArn"])


# The caller's HTTP transport, asked of ``clients`` like a service: ``clients(HTTP_SERVICE, url)(request)``
# returns the response's status. The local endpoint's transport calls loopback addresses only.
HTTP_SERVICE = "http"
USER_AGENT = "Amazon/EventBridge/ApiDestinations"


@dataclass(frozen=True)
class HttpRequest:
    """The request EventBridge makes of an API destination for one event."""

    target_arn: str
    method: str
    url: str
    headers: Mapping[str, str]
    body: str
    secret_headers: tuple[str, ...] = ()  # the connection's auth header: never recorded or logged


class TargetAnswered(Exception):
    """The endpoint answered with an error status; its DLQ code says whether AWS retries it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the API destination answered HTTP {status}")
        # AWS retries 401, 407, 409, 429 and 5xx, and no other status.
        retried = status in (401, 407, 409) or status >= 500
        self.delivery_error_code = "THROTTLING" if status == 429 else "ERROR_FROM_TARGET" if retried else "INVALID_PARAMETER"


class NoTransport(Exception):
    """The caller has no HTTP transport (``dlq redrive`` with boto3's clients): nothing is called."""

    delivery_error_code = "INVALID_PARAMETER"


def request_for(clients: Clients, outgoing: Outgoing) -> HttpRequest:
    """The destination's method and URL (``*`` filled with PathParameterValues), the target's headers and
    query (from HttpParameters; ``$.…`` values read from the event), the connection's auth header."""
    events = clients("events", outgoing.arn)
    destination = events.describe_api_destination(Name=without_id(outgoing.arn).rsplit("/", 1)[-1])
    connection = events.describe_connection(Name=destination["ConnectionArn"].split(":connection/", 1)[-1].split("/", 1)[0])
    event, http = outgoing.original_event(), outgoing.target.get("HttpParameters") or {}
    url = str(destination["InvocationEndpoint"])
    for value in http.get("PathParameterValues") or []:
        url = url.replace("*", quote(str(from_event(value, event) or ""), safe=""), 1)
    query = {key: from_event(value, event) for key, value in (http.get("QueryStringParameters") or {}).items()}
    if query:
        url += ("&" if "?" in url else "?") + urlencode({key: value for key, value in query.items() if value is not None})
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    headers.update({key: str(value) for key, value in ((key, from_event(value, event))
                                                          for key, value in (http.get("HeaderParameters") or {}).items())
                    if value is not None})
    auth = auth_headers(clients, connection)
    headers.update(auth)
    return HttpRequest(outgoing.arn, str(destination.get("HttpMethod") or "POST"), url, headers, outgoing.body, tuple(auth))


def auth_headers(clients: Clients, connection: Mapping[str, Any]) -> dict[str, str]:
    """The header a connection adds (API key or basic auth), its secret read from the connection's
    Secrets Manager secret as EventBridge keeps it; OAuth is not obtained."""
    kind, parameters = connection.get("AuthorizationType"), connection.get("AuthParameters") or {}
    if kind not in ("API_KEY", "BASIC") or not connection.get("SecretArn"):
        return {}
    secret = json.loads(clients("secretsmanager", connection["SecretArn"]).get_secret_value(
        SecretId=connection["SecretArn"])["SecretString"])
    if kind == "API_KEY":
        name = (parameters.get("ApiKeyAuthParameters") or {}).get("ApiKeyName") or secret.get("api_key_name")
        return {str(name): str(secret.get("api_key_value", ""))}
    token = base64.b64encode(f"{secret.get('username', '')}:{secret.get('password', '')}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for an API destination target: one HTTP request with the rendered input,
    through the caller's transport (the local endpoint's refuses every host but loopback)."""
    request = request_for(clients, outgoing)
    try:
        transport = clients(HTTP_SERVICE, request.url)
    except Exception:  # boto3's clients have no HTTP transport: only the local endpoint's does
        raise NoTransport(f"cabructl calls API destinations from the local endpoint only, on loopback: "
                          f"not {request.url}") from None
    status = int(transport(request))
    if not 200 <= status < 300:
        raise TargetAnswered(status)


def watch(aws: Any, topology: Topology, context: Context, logical: str) -> Callable[[], Iterator[str]]:
    """The bodies the local endpoint sent the API destination since watching began (its record of
    invocations): what the HTTP endpoint did with them is its own to tell."""
    from cabructl.resources.targets.function import recorded

    arn = api_destination_arn(topology, context, logical)
    return recorded(aws, lambda item: item.get("kind") == "api_destination" and without_id(str(item.get("target_arn"))) == arn,
                    lambda item: str(item.get("body", "")))


API_DESTINATION = TargetKind(
    key="api_destination",
    resource_kind="events.api_destination",
    label="API destination",
    arn=api_destination_arn,
    delivery=None,
    service="events",
    resource_type=API_DESTINATION_RESOURCE,
    role_action="events:InvokeApiDestination",
    role_resource=any_id,
    canonical_arn=without_id,
    offline_arn=lambda arn: f"{without_id(arn)}/{OFFLINE_ID}",
    resolve_arn=full_arn,
    watch=watch,
    send=send,
    billed_as="api_destination",
    unpriced="what the HTTP endpoint behind it costs (outside AWS or in another service)",
)
