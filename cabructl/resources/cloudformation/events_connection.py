"""events.connection as AWS::Events::Connection; its secret is a NoEcho stack parameter, never a value.

cabructl reads the secret at apply time (``value_from_env`` or ``value_from_secret``); the stack
asks for it when it is deployed (``--parameter-overrides``) and stores it as AWS does for
every connection, in a secret of its own. The secret is never compared, on either side.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Parameter, Piece, Read, present
from cabructl.resources.events_connection import live_attributes
from cabructl.resources.secrets import FROM_ENV, FROM_SECRET
from cabructl.resources.targets.api_destination import OFFLINE_ID

_TYPES = {"api_key": "API_KEY", "basic": "BASIC", "oauth_client_credentials": "OAUTH_CLIENT_CREDENTIALS"}
_SECRETS = {"api_key": "API key", "basic": "password", "oauth_client_credentials": "OAuth client secret"}


class ConnectionMapping(CfnMapping):
    kind = "events.connection"
    prefix = "Connection"
    embeds = False  # Fn::GetAtt Arn ends in the id AWS gives it: only a whole ARN is a reference

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        return [Piece(MAIN, "AWS::Events::Connection", present(
            Name=resource.name, Description=attributes["description"] or None,
            AuthorizationType=_TYPES[attributes["authorization"]],
            AuthParameters=_auth(attributes["authorization"], attributes["parameters"], {"Ref": secret_parameter(ids)})))]

    def parameters(self, resource: Resource, ids: Mapping[str, str]) -> list[Parameter]:
        source = resource.identity.get(FROM_ENV) or resource.identity.get(FROM_SECRET)
        what = _SECRETS[resource.attributes["authorization"]]
        return [Parameter(secret_parameter(ids), f"The {what} of connection {resource.name} (cabructl reads it from {source})")]

    def arn_value(self, resource: Resource, context: Context) -> str | None:
        return context.arn("events", f"connection/{resource.name}")

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}", "name": f"${{{ids[MAIN]}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        connection = pieces[MAIN]
        return Read(address, self.kind, connection["Name"], live_attributes(connection))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["Name"]
        if attribute == "Arn":
            return context.arn("events", f"connection/{properties['Name']}/{OFFLINE_ID}")
        return super().resolve(suffix, properties, attribute, context)


def secret_parameter(ids: Mapping[str, str]) -> str:
    return f"{ids[MAIN]}Secret"


def _auth(authorization: str, parameters: Mapping[str, str], secret: Any) -> dict[str, Any]:
    """AuthParameters as CreateConnection takes them, the secret a reference to its parameter."""
    if authorization == "api_key":
        return {"ApiKeyAuthParameters": {"ApiKeyName": parameters["name"], "ApiKeyValue": secret}}
    if authorization == "basic":
        return {"BasicAuthParameters": {"Username": parameters["username"], "Password": secret}}
    return {"OAuthParameters": {"ClientParameters": {"ClientID": parameters["client_id"], "ClientSecret": secret},
                                "AuthorizationEndpoint": parameters["authorization_endpoint"],
                                "HttpMethod": parameters["http_method"]}}


MAPPING = ConnectionMapping()
