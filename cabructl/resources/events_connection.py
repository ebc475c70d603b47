"""events.connection: how an API destination authorizes (an API key, basic auth, OAuth client credentials).

What is compared: the authorization type, its non-secret fields (the API key's header name,
the username, the OAuth endpoint, method and client id) and the description. The secret
itself (the key, the password, the client secret) is never compared: AWS keeps it in a
secret of its own and never returns it, so **plan and drift never show a secret change**.
The secret is read at apply time from ``value_from_env`` (an environment variable) or
``value_from_secret`` (a Secrets Manager ARN, its SecretString) and sent with every write of
the connection: creating it, and updating it for any other change. A missing variable or an
unreadable secret stops the apply before its first write (:meth:`ConnectionHandler.unready`).

Connections cannot be tagged, so ownership is by name, as for archives: a connection under
the topology's name prefix is the topology's. One named outside the prefix (an explicit
``name:``) is the topology's only when it is the one declared *and* one of the API
destinations the topology declares uses it (what AWS records of it that points back to this
topology); otherwise it is a conflict, never taken over.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.arns import live_address
from cabructl.resources.base import Context, Handler, Resource, address
from cabructl.resources.events_bus import token_pages
from cabructl.resources.importing import Field, KindImporter
from cabructl.resources.secrets import FROM_ENV, FROM_SECRET, secret_problem, secret_value
from cabructl.topology.model import Connection, Topology

KIND = "events.connection"
OAUTH_DEFAULT_METHOD = "POST"  # AWS requires the token request's method; the topology may leave it out

# topology authorization → AWS AuthorizationType and the AuthParameters key that holds its fields
_TYPES = {"api_key": "API_KEY", "basic": "BASIC", "oauth_client_credentials": "OAUTH_CLIENT_CREDENTIALS"}
_AUTHORIZATIONS = {aws_type: authorization for authorization, aws_type in _TYPES.items()}
_API_DESTINATIONS = "cabructl.api-destinations"


class ConnectionHandler(Handler):
    kind = KIND
    section = "connections"
    # Everything changes in place: UpdateConnection sets the type, the fields and the description.
    importer = KindImporter(
        lambda topology, logical: topology.connections.get(logical),
        {"description": Field(("description",)), "parameters.name": Field(("api_key", "name")),
         "parameters.username": Field(("basic", "username")),
         "parameters.authorization_endpoint": Field(("oauth_client_credentials", "authorization_endpoint")),
         "parameters.http_method": Field(("oauth_client_credentials", "http_method")),
         "parameters.client_id": Field(("oauth_client_credentials", "client_id"))},
        {"authorization": "a new authorization type needs its own block and secret; edit `authorization` by hand"},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        return [_desired(connection) for connection in topology.connections.values()]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """One ListConnections for the prefix, then DescribeConnection per connection (the
        description and the fields are only there), in parallel."""
        listed = token_pages(aws.client("events").list_connections, "Connections", NamePrefix=topology.prefix)
        names = {item["Name"] for item in listed if item["Name"].startswith(topology.prefix)} | {r.name for r in desired}
        found = parallel_map(lambda name: self._read(aws, topology, name, desired), sorted(names), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, name: str, desired: list[Resource]) -> Resource | None:
        connection = aws.find(lambda: aws.client("events").describe_connection(Name=name))
        if connection is None:
            return None  # not there, or deleted between the list and the read
        wanted = name in {resource.name for resource in desired}
        owned = name.startswith(topology.prefix) or (wanted and _used_by_declared(aws, topology, connection["ConnectionArn"]))
        if not owned and not wanted:
            return None  # not ours and not in our way: invisible to cabructl
        identity = {"arn": connection["ConnectionArn"]}
        return Resource(live_address(KIND, topology, name, desired), KIND, name, live_attributes(connection), (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def unready(self, aws: Any, resource: Resource) -> str | None:
        problem = secret_problem(aws, resource.identity)
        return None if problem is None else f"connection {resource.name}: {problem}"

    def create(self, aws: Any, resource: Resource) -> None:
        aws.client("events").create_connection(**connection_request(aws, resource))

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        aws.client("events").update_connection(**connection_request(aws, desired))  # the secret goes along, refreshed

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("events").delete_connection(Name=live.name))


def _desired(connection: Connection) -> Resource:
    parameters = dict(connection.parameters)
    if connection.authorization == "oauth_client_credentials":
        parameters.setdefault("http_method", OAUTH_DEFAULT_METHOD)
    attributes = {"authorization": connection.authorization, "parameters": parameters, "description": connection.description}
    identity = {FROM_ENV: connection.secret.from_env, FROM_SECRET: connection.secret.from_secret}
    return Resource(address(KIND, connection.logical), KIND, connection.name, attributes, (), identity)


def live_attributes(connection: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeConnection response → the canonical form: the non-secret fields only, whatever
    else the response holds (an emulator may echo the secret back; AWS does not)."""
    authorization = _AUTHORIZATIONS.get(connection.get("AuthorizationType", ""), connection.get("AuthorizationType", ""))
    auth = connection.get("AuthParameters") or {}
    parameters: dict[str, str] = {}
    if authorization == "api_key":
        parameters["name"] = (auth.get("ApiKeyAuthParameters") or {}).get("ApiKeyName", "")
    elif authorization == "basic":
        parameters["username"] = (auth.get("BasicAuthParameters") or {}).get("Username", "")
    elif authorization == "oauth_client_credentials":
        oauth = auth.get("OAuthParameters") or {}
        parameters = {"authorization_endpoint": oauth.get("AuthorizationEndpoint", ""),
                      "http_method": oauth.get("HttpMethod", ""),
                      "client_id": (oauth.get("ClientParameters") or {}).get("ClientID", "")}
    return {"authorization": authorization, "parameters": parameters, "description": connection.get("Description", "")}


def connection_request(aws: Any, resource: Resource) -> dict[str, Any]:
    """Create/UpdateConnection's parameters, the secret read now from its source."""
    attributes = resource.attributes
    parameters = attributes["parameters"]
    secret = secret_value(aws, resource.identity)
    authorization = attributes["authorization"]
    if authorization == "api_key":
        auth = {"ApiKeyAuthParameters": {"ApiKeyName": parameters["name"], "ApiKeyValue": secret}}
    elif authorization == "basic":
        auth = {"BasicAuthParameters": {"Username": parameters["username"], "Password": secret}}
    else:
        auth = {"OAuthParameters": {"ClientParameters": {"ClientID": parameters["client_id"], "ClientSecret": secret},
                                    "AuthorizationEndpoint": parameters["authorization_endpoint"],
                                    "HttpMethod": parameters["http_method"]}}
    return {"Name": resource.name, "Description": attributes["description"], "AuthorizationType": _TYPES[authorization],
            "AuthParameters": auth}


def live_api_destinations(aws: Any) -> list[Mapping[str, Any]]:
    """Every API destination of the account and region as ListApiDestinations reports it (once per
    command): the API destination handler's discovery and the ownership rule above both read it."""
    return aws.memo(_API_DESTINATIONS, lambda: token_pages(aws.client("events").list_api_destinations, "ApiDestinations"))


def connection_arn(aws: Any, name: str) -> str:
    """The connection's whole ARN (AWS completes it with an id): what CreateApiDestination takes."""
    described = aws.settle(lambda: aws.client("events").describe_connection(Name=name), propagating=True)
    return str(described["ConnectionArn"])


def _used_by_declared(aws: Any, topology: Topology, arn: str) -> bool:
    declared = {destination.name for destination in topology.api_destinations.values()}
    return any(item.get("Name") in declared and item.get("ConnectionArn") == arn for item in live_api_destinations(aws))


HANDLER = ConnectionHandler()
