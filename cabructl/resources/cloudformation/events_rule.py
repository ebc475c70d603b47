"""events.rule as AWS::Events::Rule (its targets, events.target, fold into ``Targets``).

The pattern is written as JSON text, never as a YAML mapping: CloudFormation turns the
numbers of a mapping pattern into strings, ``4.0`` into ``4`` (cloudformation-coverage-roadmap
#251, #1735), and a pattern field named ``Ref`` would read as a function.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource, compact_json
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, present, tags, tags_back
from cabructl.resources.events_rule import live_attributes


class RuleMapping(CfnMapping):
    kind = "events.rule"
    prefix = "Rule"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        attributes = resource.attributes
        pattern = attributes["pattern"]
        return [Piece(MAIN, "AWS::Events::Rule", present(
            Name=resource.name, EventBusName=resource.identity["bus"], State=attributes["state"],
            Description=attributes["description"] or None,
            EventPattern=compact_json(pattern) if pattern is not None else None, Tags=tags(attributes)))]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        rule = pieces[MAIN]
        return Read(address, self.kind, rule["Name"], live_attributes(rule, tags_back(rule)))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute in (None, "Arn"):
            bus = properties.get("EventBusName", "default")
            path = properties["Name"] if bus == "default" else f"{bus}/{properties['Name']}"
            return context.arn("events", f"rule/{path}")
        return super().resolve(suffix, properties, attribute, context)


MAPPING = RuleMapping()
