"""cloudwatch.alarm as AWS::CloudWatch::Alarm (the fields of the PutMetricAlarm request cabructl sends)."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, tags, tags_back
from cabructl.resources.cloudwatch_alarm import alarm_request, live_attributes


class AlarmMapping(CfnMapping):
    kind = "cloudwatch.alarm"
    prefix = "Alarm"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        properties = {**alarm_request(resource.name, resource.attributes), "Tags": tags(resource.attributes)}
        return [Piece(MAIN, "AWS::CloudWatch::Alarm", properties)]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}", "name": f"${{{ids[MAIN]}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        alarm = pieces[MAIN]
        return Read(address, self.kind, alarm["AlarmName"], live_attributes(alarm, tags_back(alarm)))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["AlarmName"]
        if attribute == "Arn":
            return context.arn("cloudwatch", f"alarm:{properties['AlarmName']}")
        return super().resolve(suffix, properties, attribute, context)


MAPPING = AlarmMapping()
