"""Ownership read once per command, and the address each live resource recorded.

The Resource Groups Tagging API answers, in one paginated ``GetResources`` call,
the ARN and tags of every resource that carries this topology's ownership tags,
whatever its name. Discovery uses that index twice: an owned resource costs no
tag read of its own (the plan's API calls per resource), and an owned resource
whose name no longer follows the topology (renamed, or named outside the prefix)
is still found, so the plan replaces or deletes it instead of leaking it.

Not every kind is in the index (IAM is not; emulators leave some out), the
caller may not be allowed to read it, and AWS fills it eventually: a resource
missing from it is read per resource, exactly as without it. The read-back after
an apply bypasses it (:func:`bypass_tag_index`), since a tag written a moment
ago may not show there yet.

Addresses: every taggable kind records its address in the ``cabructl:address``
tag, so a live resource answers to the declaration that made it, not to its name.
Kinds that cannot be tagged are found by a rule documented on their handler.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Mapping

from cabructl.aws import is_botocore_error
from cabructl.constants import TAG_ADDRESS, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_TOPOLOGY
from cabructl.resources.arns import live_address, plain_arn, tag_map
from cabructl.resources.base import Resource, is_owned_by
from cabructl.topology.model import Topology

log = logging.getLogger(__name__)

_INDEX = "cabructl.tag-index"

TagIndex = Mapping[str, Mapping[str, str]]


def tag_index(aws: Any, topology: Topology) -> TagIndex:
    """ARN → tags of every resource this topology owns, as the tagging API reports them (once per command)."""
    return aws.memo((_INDEX, topology.owner_tag), lambda: _read_index(aws, topology))


def bypass_tag_index(aws: Any, topology: Topology) -> None:
    """Make this command's discovery read every resource's tags itself (call right after ``aws.forget()``)."""
    aws.memo((_INDEX, topology.owner_tag), dict)


def _read_index(aws: Any, topology: Topology) -> dict[str, dict[str, str]]:
    filters = [{"Key": TAG_MANAGED_BY, "Values": [TAG_MANAGED_BY_VALUE]}, {"Key": TAG_TOPOLOGY, "Values": [topology.owner_tag]}]
    try:
        mappings = aws.paginate("resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList", TagFilters=filters)
    except Exception as error:
        if not is_botocore_error(error):
            raise
        log.debug("tag index unavailable (%s); reading tags per resource", error)
        return {}
    return {plain_arn(mapping["ResourceARN"]): tag_map(mapping.get("Tags", [])) for mapping in mappings}


def tags_of(aws: Any, topology: Topology, arn: str, read: Callable[[], Mapping[str, str] | None]) -> dict[str, str] | None:
    """A resource's tags: from the index when it is there, else ``read()`` (None: the resource is gone)."""
    indexed = tag_index(aws, topology).get(plain_arn(arn))
    if indexed is not None:
        return dict(indexed)
    found = read()
    return None if found is None else dict(found)


def indexed_arns(aws: Any, topology: Topology, arn_prefix: str) -> list[str]:
    """ARNs of owned resources of one kind (``arn:aws:sqs:``…) the index knows, whatever their names."""
    return sorted(arn for arn in tag_index(aws, topology) if arn.startswith(arn_prefix))


def recorded_address(kind: str, topology: Topology, name: str, tags: Mapping[str, str], desired: Iterable[Resource]) -> str:
    """The address a live resource answers to: the one it recorded, when the topology owns it.

    A resource cabructl made before addresses were recorded (no tag), or one that is
    not ours, falls back to its name: the declaration of that name, else the name
    without the prefix (:func:`live_address`).
    """
    recorded = tags.get(TAG_ADDRESS, "")
    if is_owned_by(tags, topology) and recorded.startswith(kind + "."):
        return recorded
    return live_address(kind, topology, name, desired)


def singleton_address(fixed: str, topology: Topology, name: str, owned: bool, desired: list[Resource]) -> str:
    """For a kind that cannot be tagged and of which a topology has at most one (archive, dashboard):
    every owned live one answers to the one address, declared or not, so a new name is a replace
    and two of them are told apart by the engine (the undeclared one is deleted)."""
    if owned:
        return fixed
    return live_address(fixed.rsplit(".", 1)[0], topology, name, desired)
