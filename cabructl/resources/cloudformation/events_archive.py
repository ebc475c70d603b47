"""events.archive as AWS::Events::Archive (its fields are the ones CreateArchive takes)."""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context, Resource
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read
from cabructl.resources.events_archive import archive_arn, archive_fields, live_attributes

_FIELDS = ("description", "retention_days", "pattern", "kms_key")


class ArchiveMapping(CfnMapping):
    kind = "events.archive"
    prefix = "Archive"

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        properties = {"ArchiveName": resource.name, "SourceArn": resource.attributes["event_source_arn"],
                      **archive_fields(resource.attributes, _FIELDS)}
        return [Piece(MAIN, "AWS::Events::Archive", properties)]

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        return {"arn": f"${{{ids[MAIN]}.Arn}}", "name": f"${{{ids[MAIN]}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        archive = pieces[MAIN]
        described = {"EventSourceArn": archive["SourceArn"], **{key: archive[key] for key in
                     ("RetentionDays", "Description", "EventPattern", "KmsKeyIdentifier") if key in archive}}
        return Read(address, self.kind, archive["ArchiveName"], live_attributes(described))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if attribute is None:
            return properties["ArchiveName"]
        if attribute == "Arn":
            return archive_arn(context, properties["ArchiveName"])
        return super().resolve(suffix, properties, attribute, context)


MAPPING = ArchiveMapping()
