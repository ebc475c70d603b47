"""events.archive: the bus's event archive, kept for replay after an incident.

Archives cannot be tagged (AWS-FACTS), so ownership is by name: an archive
under the topology's name prefix is the topology's. An archive named outside
the prefix (an explicit ``name:``) is the topology's only when it is the one it
declares *and* it archives the topology's own bus; otherwise the archive cabructl
created would come back as a conflict on the very next plan.

A topology has at most one archive, so an owned one answers to
``events.archive.archive`` whatever its name: a new name is a replace.

An archive records one bus for good: a new source means a new archive, and
deleting it loses the archived events (``holds_data``).
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.arns import bus_arn
from cabructl.resources.base import Context, Handler, Resource, address, compact_json
from cabructl.resources.importing import Field, Form, KindImporter
from cabructl.resources.events_bus import BUS_ADDRESS, token_pages
from cabructl.resources.events_rule import canonical_pattern
from cabructl.resources.kms_key import key_dependency, key_reference
from cabructl.resources.tags import singleton_address
from cabructl.topology.model import Topology

KIND = "events.archive"
LOGICAL = "archive"  # a topology has at most one archive: events.archive.archive

# Canonical attribute → UpdateArchive/CreateArchive parameter.
_ARCHIVE_FIELDS = {"description": "Description", "retention_days": "RetentionDays", "pattern": "EventPattern",
                   "kms_key": "KmsKeyIdentifier"}


class ArchiveHandler(Handler):
    kind = KIND
    section = "bus"
    replace_on = ("event_source_arn",)  # CreateArchive sets the source; UpdateArchive cannot change it
    holds_data = True
    importer = KindImporter(
        lambda topology, logical: topology.bus.archive,
        {"retention_days": Field(("retention",), Form.DAYS), "description": Field(("description",))},
        {"event_source_arn": "an archive always archives the topology's bus",
         "pattern": "the topology archives every event on the bus",
         "kms_key": "the archive's key is a reference: edit `bus.archive.encryption` by hand"},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        archive = topology.bus.archive
        if archive is None:
            return []
        attributes = {
            "event_source_arn": bus_arn(topology, context),
            "retention_days": archive.retention_days,
            "description": archive.description,
            "pattern": None,  # the topology archives every event on the bus
            "kms_key": key_reference(topology, context, archive.key),
        }
        identity = {"arn": archive_arn(context, archive.name)}
        return [Resource(address(KIND, LOGICAL), KIND, archive.name, attributes, (BUS_ADDRESS, *key_dependency(archive.key)), identity)]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """One ListArchives for the prefix, then DescribeArchive per archive (description and
        pattern are only there), in parallel."""
        listed = token_pages(aws.client("events").list_archives, "Archives", NamePrefix=topology.prefix)
        names = {archive["ArchiveName"] for archive in listed} | {resource.name for resource in desired}
        found = parallel_map(lambda name: self._read(aws, topology, context, name, desired), sorted(names), aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, context: Context, name: str, desired: list[Resource]) -> Resource | None:
        archive = aws.find(lambda: aws.client("events").describe_archive(ArchiveName=name))
        if archive is None:
            return None  # not there, or deleted between the list and the read
        wanted = name in {resource.name for resource in desired}
        owned = _owns(topology, context, name, archive["EventSourceArn"], wanted)
        if not owned and not wanted:
            return None  # not ours and not in our way: invisible to cabructl
        identity = {
            "arn": archive["ArchiveArn"],
            "events": int(archive.get("EventCount", 0)),
            "bytes": int(archive.get("SizeBytes", 0)),
        }
        return Resource(singleton_address(address(KIND, LOGICAL), topology, name, owned, desired), KIND, name, live_attributes(archive), (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        request = {"ArchiveName": resource.name, "EventSourceArn": resource.attributes["event_source_arn"]}
        request.update(archive_fields(resource.attributes, tuple(_ARCHIVE_FIELDS)))
        aws.settle(lambda: aws.client("events").create_archive(**request), propagating=True)  # a new bus propagates

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        differing = tuple(key for key in _ARCHIVE_FIELDS if desired.attributes[key] != live.attributes.get(key))
        if differing:
            fields = archive_fields(desired.attributes, differing, clearing=True)
            aws.client("events").update_archive(ArchiveName=live.name, **fields)

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("events").delete_archive(ArchiveName=live.name))

    def data_held(self, live: Resource) -> str | None:
        return archived_data(live.identity.get("events", 0), live.identity.get("bytes", 0))


def archive_arn(context: Context, name: str) -> str:
    return context.arn("events", f"archive/{name}")


def archive_fields(attributes: Mapping[str, Any], keys: tuple[str, ...], *, clearing: bool = False) -> dict[str, Any]:
    """Canonical attributes → Create/UpdateArchive parameters, for ``keys`` only.

    Creating leaves an empty description or pattern out; updating sends them as ""
    (``clearing``), which is how UpdateArchive removes a value that was set.
    """
    fields: dict[str, Any] = {}
    for key in keys:
        value = attributes[key]
        if key == "pattern" and value is not None:
            value = compact_json(value)
        if value in (None, "") and (not clearing or key == "kms_key"):
            continue  # an archive without KmsKeyIdentifier is under an AWS-owned key: never sent as ""
        fields[_ARCHIVE_FIELDS[key]] = "" if value is None else value
    return fields


def live_attributes(archive: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeArchive response → the canonical form. RetentionDays 0 (or absent) is "forever";
    a missing description is the empty one and a missing pattern is None."""
    return {
        "event_source_arn": archive["EventSourceArn"],
        "retention_days": int(archive.get("RetentionDays", 0)),
        "description": archive.get("Description", ""),
        "pattern": canonical_pattern(archive.get("EventPattern")),
        "kms_key": archive.get("KmsKeyIdentifier"),
    }


def archived_data(events: int, size_bytes: int) -> str | None:
    """What deleting the archive loses, from the counts discovery recorded; None when empty."""
    if not events and not size_bytes:
        return None
    return f"{events} archived event{'s' if events != 1 else ''} ({size_bytes} bytes)"


def _owns(topology: Topology, context: Context, name: str, source_arn: str, wanted: bool) -> bool:
    """Ours by name under the prefix; outside it, only the declared archive of our own bus."""
    return name.startswith(topology.prefix) or (wanted and source_arn == bus_arn(topology, context))


HANDLER = ArchiveHandler()
