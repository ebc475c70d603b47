"""events.api_destination: an HTTPS endpoint EventBridge invokes, authorized by a connection.

What is compared: the URL, the method, the rate (AWS's default of 300 per second when the
topology gives none), the description and the connection, by its name. AWS completes the
ARNs of both with an id of its own (``api-destination/NAME/UUID``, ``connection/NAME/UUID``):
the plan knows neither before they exist, so the connection is compared by name, the
resource's ``arn`` is the ARN without the id (what a rule's target compares, see
``targets/api_destination.py``), and the whole connection ARN is asked of AWS
(DescribeConnection) when the API destination is written.

API destinations cannot be tagged, so ownership is by name, as for archives: one under the
topology's name prefix is the topology's. One named outside the prefix (an explicit
``name:``) is the topology's only when it is the one declared *and* it uses a connection the
topology declares; otherwise it is a conflict, never taken over.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources import events_connection
from cabructl.resources.arns import arn_parts, live_address
from cabructl.resources.base import Context, Handler, Resource, address
from cabructl.resources.events_connection import connection_arn, live_api_destinations
from cabructl.resources.importing import Field, KindImporter
from cabructl.resources.targets.api_destination import api_destination_arn, without_id
from cabructl.topology.model import ApiDestination, Topology

KIND = "events.api_destination"
DEFAULT_RATE = 300  # InvocationRateLimitPerSecond when none is given (AWS's default)


class ApiDestinationHandler(Handler):
    kind = KIND
    section = "api_destinations"
    # Everything changes in place: UpdateApiDestination sets every field, the connection included.
    importer = KindImporter(
        lambda topology, logical: topology.api_destinations.get(logical),
        {"url": Field(("url",)), "method": Field(("method",)), "rate_per_second": Field(("rate_per_second",)),
         "description": Field(("description",))},
        {"connection": "the connection is a reference to `connections`; edit `connection` by hand"},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [_desired(topology, context, destination) for destination in topology.api_destinations.values()]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """ListApiDestinations (shared with the connection handler), then DescribeApiDestination
        per API destination in view (the description is only there), in parallel."""
        listed = {item["Name"] for item in live_api_destinations(aws) if item["Name"].startswith(topology.prefix)}
        names = listed | {resource.name for resource in desired}
        found = parallel_map(lambda name: self._read(aws, topology, name, desired), sorted(names), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, name: str, desired: list[Resource]) -> Resource | None:
        destination = aws.find(lambda: aws.client("events").describe_api_destination(Name=name))
        if destination is None:
            return None  # not there, or deleted between the list and the read
        wanted = name in {resource.name for resource in desired}
        declared_connections = {connection.name for connection in topology.connections.values()}
        connection = connection_name(destination.get("ConnectionArn", ""))
        owned = name.startswith(topology.prefix) or (wanted and connection in declared_connections)
        if not owned and not wanted:
            return None  # not ours and not in our way: invisible to cabructl
        full = str(destination["ApiDestinationArn"])
        identity = {"arn": without_id(full), "full_arn": full, "connection_arn": destination.get("ConnectionArn", "")}
        return Resource(live_address(KIND, topology, name, desired), KIND, name, live_attributes(destination), (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        request = destination_request(aws, resource)
        aws.settle(lambda: aws.client("events").create_api_destination(**request), propagating=True)  # a new connection propagates

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        request = destination_request(aws, desired)
        aws.settle(lambda: aws.client("events").update_api_destination(**request), propagating=True)

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("events").delete_api_destination(Name=live.name))


def _desired(topology: Topology, context: Context, destination: ApiDestination) -> Resource:
    connection = topology.connections.get(destination.connection)
    attributes = {
        "connection": connection.name if connection else destination.connection,
        "url": destination.url,
        "method": destination.method,
        "rate_per_second": destination.rate_per_second or DEFAULT_RATE,
        "description": destination.description,
    }
    identity = {"arn": api_destination_arn(topology, context, destination.logical)}
    depends_on = (address(events_connection.KIND, destination.connection),)
    return Resource(address(KIND, destination.logical), KIND, destination.name, attributes, depends_on, identity)


def live_attributes(destination: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeApiDestination response → the canonical form (the rate AWS's default when absent)."""
    return {
        "connection": connection_name(destination.get("ConnectionArn", "")),
        "url": destination.get("InvocationEndpoint", ""),
        "method": destination.get("HttpMethod", ""),
        "rate_per_second": int(destination.get("InvocationRateLimitPerSecond") or DEFAULT_RATE),
        "description": destination.get("Description", ""),
    }


def destination_request(aws: Any, resource: Resource) -> dict[str, Any]:
    """Create/UpdateApiDestination's parameters: every field, the connection's whole ARN asked of AWS."""
    attributes = resource.attributes
    return {
        "Name": resource.name,
        "Description": attributes["description"],
        "ConnectionArn": connection_arn(aws, attributes["connection"]),
        "InvocationEndpoint": attributes["url"],
        "HttpMethod": attributes["method"],
        "InvocationRateLimitPerSecond": attributes["rate_per_second"],
    }


def connection_name(arn: str) -> str:
    """``…:connection/NAME/UUID`` → ``NAME`` ("" when it is no connection ARN)."""
    parts = arn_parts(arn)
    if parts is None or not parts.resource.startswith("connection/"):
        return ""
    return parts.resource.removeprefix("connection/").split("/", 1)[0]


HANDLER = ApiDestinationHandler()
