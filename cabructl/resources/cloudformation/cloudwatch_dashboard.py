"""cloudwatch.dashboard as AWS::CloudWatch::Dashboard (the body as the JSON text PutDashboard takes).

The widgets' region is the stack's own (``AWS::Region``), as every ARN of the template is.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource, canonical_json, compact_json
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, Regional


class DashboardMapping(CfnMapping):
    kind = "cloudwatch.dashboard"
    prefix = "Dashboard"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        body = Regional(compact_json(resource.attributes["body"]))
        return [Piece(MAIN, "AWS::CloudWatch::Dashboard", {"DashboardName": resource.name, "DashboardBody": body})]

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        dashboard = pieces[MAIN]
        return Read(address, self.kind, dashboard["DashboardName"], {"body": canonical_json(dashboard["DashboardBody"])})

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["DashboardName"]
        return super().resolve(suffix, properties, attribute, context)


MAPPING = DashboardMapping()
