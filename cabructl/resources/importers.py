"""What drift and import do with live values: edits that write them into topology.yaml.

Where each kind's values go is the kind's own data, its handler's ``importer``
(:class:`~cabructl.resources.importing.KindImporter`, beside the handler's verbs);
this module turns drifted attributes into file edits with it.

It also builds the declaration of an unmanaged rule (or an extra target) from
what AWS has, so such a resource can be brought under the topology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from cabructl.constants import TAG_ADDRESS, TAG_MANAGED_BY, TAG_TOPOLOGY
from cabructl.diagnostics import Path
from cabructl.errors import CabructlError
from cabructl.resources.base import Resource
from cabructl.resources.importing import Form, KindImporter
from cabructl.topology.model import Topology
from cabructl.topology.writer import KeyEdit, Style, format_duration

RULE_KIND = "events.rule"
TARGET_KIND = "events.target"

_OWNERSHIP_TAGS = frozenset({TAG_MANAGED_BY, TAG_TOPOLOGY, TAG_ADDRESS})
_PATTERN_FIELD_ORDER = ("source", "detail-type", "account", "region", "resources", "version", "id", "time", "detail")
_SECONDS_PER_DAY = 86_400


class ImportRefused(CabructlError):
    reference = "import-refused"


def routes_events(kind: str) -> bool:
    """True for kinds whose unmanaged presence reroutes events (rules and their targets)."""
    from cabructl.resources import handler_for

    return handler_for(kind).routes_events


def importer_of(kind: str) -> KindImporter | None:
    """The kind's import mapping, from its handler (None: the kind cannot be imported)."""
    from cabructl.resources import handler_for

    try:
        return handler_for(kind).importer
    except KeyError:
        return None


# -- the per-kind mapping ----------------------------------------------------------------------

# -- changed attributes → edits --------------------------------------------------------------------

@dataclass(frozen=True)
class Skipped:
    """An attribute that cannot be written back, and why."""

    address: str
    attribute: str
    reason: str


def attribute_edits(address: str, kind: str, paths: Iterable[str], live: Resource,
                    topology: Topology) -> tuple[list[KeyEdit], list[Skipped]]:
    """The topology edits that make the file declare ``live``'s values at the drifted ``paths``."""
    importer = importer_of(kind)
    if importer is None:
        raise ImportRefused(f"{address}: cabructl cannot import {kind} attributes")
    declared = importer.declaration(topology, _logical(address, kind))
    if declared is None:
        raise ImportRefused(f"{address}: not declared in {topology.file}")
    edits: list[KeyEdit] = []
    skipped: list[Skipped] = []
    for attribute in _attributes(paths, importer):
        spec = importer.fields.get(attribute)
        if spec is None:
            reason = importer.not_importable.get(attribute, "no topology key holds this attribute")
            skipped.append(Skipped(address, attribute, reason))
        elif spec.form is Form.TAGS:
            tag_edits, tag_skips = _tag_edits(address, declared, live.attributes.get("tags") or {}, topology)
            edits += tag_edits
            skipped += tag_skips
        else:
            edits.append(_edit(declared.path + spec.key, spec.form, _value_at(live.attributes, attribute)))
    return edits, skipped


def _attributes(paths: Iterable[str], importer: KindImporter) -> list[str]:
    """Drifted paths (``retry.attempts``, ``pattern.detail.severity[1]``, ``tags.Owner``) →
    the attributes the importer knows, each once: the longest known prefix of a path."""
    found: list[str] = []
    for path in paths:
        parts = path.split("[", 1)[0].split(".")
        candidates = [".".join(parts[:depth]) for depth in range(len(parts), 0, -1)]
        known = [name for name in candidates if name in importer.fields or name in importer.not_importable]
        attribute = known[0] if known else parts[0]
        if attribute not in found:
            found.append(attribute)
    return found


def _value_at(attributes: Mapping[str, Any], dotted: str) -> Any:
    value: Any = attributes
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _edit(path: Path, form: Form, value: Any) -> KeyEdit:
    if form is Form.SECONDS:
        return KeyEdit(path, value, Style.DURATION) if value is not None else KeyEdit(path, None, Style.REMOVE)
    if form is Form.DAYS:
        return KeyEdit(path, value * _SECONDS_PER_DAY, Style.DURATION) if value is not None else KeyEdit(path, None, Style.REMOVE)
    if form is Form.STRUCTURE:
        return KeyEdit(path, value, Style.MERGE)
    return KeyEdit(path, value)


def _tag_edits(address: str, declared: Any, live_tags: Mapping[str, str],
               topology: Topology) -> tuple[list[KeyEdit], list[Skipped]]:
    """Tags go to the resource's own ``tags:``: the file's common tags apply to every
    resource, so changing them for one resource's drift would change all the others."""
    common = topology.tags
    own = dict(getattr(declared, "tags", {}) or {})
    declared_tags = {**common, **own}
    live_tags = {key: value for key, value in live_tags.items() if key not in _OWNERSHIP_TAGS}
    edits: list[KeyEdit] = []
    skipped: list[Skipped] = []
    tags_path = declared.path + ("tags",)
    for key in sorted(set(declared_tags) | set(live_tags)):
        want, have = declared_tags.get(key), live_tags.get(key)
        if want == have:
            continue
        if have is None and key in common:
            skipped.append(Skipped(address, f"tags.{key}", "a common tag (top-level `tags:`) cannot be removed for one resource"))
        elif have is None or (key in own and common.get(key) == have):
            edits.append(KeyEdit(tags_path + (key,), None, Style.REMOVE))
        else:
            edits.append(KeyEdit(tags_path + (key,), have))
    return edits, skipped


def _logical(address: str, kind: str) -> str:
    return address[len(kind) + 1:]


# -- unmanaged resources → declarations ------------------------------------------------------------

@dataclass(frozen=True)
class Declaration:
    """A new entry for the file: a rule under ``rules:`` or a target appended to its rule."""

    address: str
    container: Path             # ("rules",) for a rule, ("rules", <rule>, "targets") for a target
    key: str | None             # the rule's logical name; None when appended to a list
    value: dict[str, Any]
    adopt: tuple[str, ...] = ()  # addresses to take over (tag) once declared: unowned ones


def declaration_for(unmanaged: Resource, live: Mapping[str, Resource], desired: Mapping[str, Resource],
                    topology: Topology, aws: Any) -> Declaration:
    """How to declare an unmanaged resource so the topology manages it from now on."""
    if unmanaged.kind == RULE_KIND:
        return _rule_declaration(unmanaged, live, desired, topology, aws)
    if unmanaged.kind == TARGET_KIND:
        return _extra_target_declaration(unmanaged, live, desired)
    raise ImportRefused(f"{unmanaged.address}: cabructl can declare unmanaged rules and targets, not {unmanaged.kind}",
                        hint="declare it in topology.yaml by hand, or let `cabructl apply` delete it if cabructl owns it")


def _rule_declaration(rule: Resource, live: Mapping[str, Resource], desired: Mapping[str, Resource],
                      topology: Topology, aws: Any) -> Declaration:
    from cabructl.resources.arns import logical_from_name

    logical = logical_from_name(topology, rule.name)
    attributes = rule.attributes
    value: dict[str, Any] = {}
    if not rule.name.startswith(topology.prefix):
        value["name"] = rule.name
    if attributes.get("description"):
        value["description"] = attributes["description"]
    if attributes.get("state", "ENABLED") != "ENABLED":
        value["state"] = attributes["state"]
    if attributes.get("pattern"):
        value["pattern"] = readable_pattern(attributes["pattern"])
    own_tags = _own_tags(attributes.get("tags") or {}, topology)
    if own_tags:
        value["tags"] = own_tags
    value["targets"] = [target_entry(target, desired) for target in _targets_of(rule, live, aws)]
    adopt = () if rule.owned else (rule.address,)
    return Declaration(rule.address, ("rules",), logical, value, adopt)


def readable_pattern(pattern: Mapping[str, Any]) -> dict[str, Any]:
    """A pattern's top-level fields in the order people write them (source, then
    detail-type, …, detail last), not the sorted order AWS's JSON comes back in."""
    rank = {name: index for index, name in enumerate(_PATTERN_FIELD_ORDER)}
    return {key: pattern[key] for key in sorted(pattern, key=lambda key: (rank.get(key, len(rank) - 1), key))}


def _extra_target_declaration(target: Resource, live: Mapping[str, Resource], desired: Mapping[str, Resource]) -> Declaration:
    if target.parent is None or target.parent not in desired:
        raise ImportRefused(f"{target.address}: its rule is not declared; import the rule instead")
    rule_logical = _logical(target.parent, RULE_KIND)
    return Declaration(target.address, ("rules", rule_logical, "targets"), None, target_entry(target, desired))


def _targets_of(rule: Resource, live: Mapping[str, Resource], aws: Any) -> list[Resource]:
    """The rule's targets: from discovery when the rule is owned, else read here (discovery
    never lists what is on a rule cabructl does not own)."""
    if rule.owned:
        return sorted((r for r in live.values() if r.parent == rule.address), key=lambda r: r.name)
    from cabructl.resources import events_target

    bus = rule.identity.get("bus")
    listed = aws.paginate("events", "list_targets_by_rule", "Targets", Rule=rule.name, EventBusName=bus)
    rule_logical = _logical(rule.address, RULE_KIND)
    return [Resource(events_target.target_address(rule_logical, item["Id"]), TARGET_KIND, item["Id"],
                     events_target.live_attributes(item), (), {"rule": rule.name, "bus": bus}, True, rule.address)
            for item in sorted(listed, key=lambda item: item["Id"])]


def target_entry(target: Resource, desired: Mapping[str, Resource]) -> dict[str, Any]:
    """A target as the topology writes it: its id, what it delivers to, retry, dead letter."""
    from cabructl.resources.events_target import canonical_retry
    from cabructl.resources.targets import DEAD_LETTER, target_kind

    attributes = target.attributes
    entry: dict[str, Any] = {"id": target.name, **_destination_entry(target, desired)}
    retry = attributes.get("retry") or canonical_retry(None, None)
    # Always explicit, AWS's defaults included: the policy wants every retry policy in the file.
    entry["retry"] = {"attempts": retry["attempts"], "max_age": format_duration(retry["max_age"])}
    if attributes.get("dead_letter_arn"):
        dead_letter = _declared_by_arn(attributes["dead_letter_arn"], desired, {target_kind(DEAD_LETTER).resource_kind})
        if dead_letter is None:
            raise ImportRefused(f"{target.address}: its dead-letter queue {attributes['dead_letter_arn']} is not declared")
        entry["dead_letter"] = dead_letter[1]
    if attributes.get("role_arn"):
        entry["role_arn"] = attributes["role_arn"]
    if attributes.get("input") is not None:
        entry["input"] = attributes["input"]
    return entry


def _destination_entry(target: Resource, desired: Mapping[str, Resource]) -> dict[str, str]:
    """``{queue: <logical>}`` for a declared destination; ``{function: <ARN>}`` for a referenced one."""
    from cabructl.resources.targets import kind_of_arn, target_kinds

    arn = target.attributes["arn"]
    referenced = kind_of_arn(arn)
    if referenced is not None and referenced.resource_kind is None:
        return {referenced.key: arn}
    by_resource_kind = {kind.resource_kind: key for key, kind in target_kinds().items() if kind.resource_kind}
    destination = _declared_by_arn(arn, desired, set(by_resource_kind))
    if destination is None:
        raise ImportRefused(f"{target.address}: delivers to {arn}, which the topology does not declare",
                            hint="declare what it delivers to first, then import again")
    kind, logical = destination
    return {by_resource_kind[kind]: logical}


def _declared_by_arn(arn: str, desired: Mapping[str, Resource], kinds: set[str]) -> tuple[str, str] | None:
    """(kind, logical name) of the declared resource with this ARN."""
    for resource in desired.values():
        if resource.kind in kinds and resource.identity.get("arn") == arn:
            return resource.kind, _logical(resource.address, resource.kind)
    return None


def _own_tags(live_tags: Mapping[str, str], topology: Topology) -> dict[str, str]:
    """Live tags that the common tags do not already give (ownership tags are cabructl's)."""
    return {key: value for key, value in sorted(live_tags.items())
            if key not in _OWNERSHIP_TAGS and topology.tags.get(key) != value}
