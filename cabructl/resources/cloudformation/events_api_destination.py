"""events.api_destination as AWS::Events::ApiDestination, naming its connection by ``Fn::GetAtt``."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present
from cabructl.resources.events_api_destination import live_attributes
from cabructl.resources.targets.api_destination import OFFLINE_ID, without_id


class ApiDestinationMapping(CfnMapping):
    kind = "events.api_destination"
    prefix = "ApiDestination"
    embeds = False  # Fn::GetAtt Arn ends in the id AWS gives it: the role's "<name>/*" grant stays as written

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        return [Piece(MAIN, "AWS::Events::ApiDestination", present(
            Name=resource.name, Description=attributes["description"] or None,
            ConnectionArn=context.arn("events", f"connection/{attributes['connection']}"),
            InvocationEndpoint=attributes["url"], HttpMethod=attributes["method"],
            InvocationRateLimitPerSecond=attributes["rate_per_second"]))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}", "name": f"${{{ids[MAIN]}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        destination = pieces[MAIN]
        described = {"ConnectionArn": destination["ConnectionArn"], "InvocationEndpoint": destination["InvocationEndpoint"],
                     "HttpMethod": destination["HttpMethod"], "Description": destination.get("Description", ""),
                     "InvocationRateLimitPerSecond": destination.get("InvocationRateLimitPerSecond")}
        return Read(address, self.kind, destination["Name"], live_attributes(described))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["Name"]
        if attribute == "Arn":
            return f"{without_id(context.arn('events', 'api-destination/' + properties['Name']))}/{OFFLINE_ID}"
        return super().resolve(suffix, properties, attribute, context)


MAPPING = ApiDestinationMapping()
