"""``cabructl export cloudformation``: one template with every resource cabructl would create.

The template is made of the very desired state a plan is made of (every handler's ``desired``,
in the offline context ``policy check`` uses), each resource through its kind's mapping
(:mod:`cabructl.resources.cloudformation`), so the two cannot disagree. What a resource names of
another one of the template becomes a reference, but only to a resource cabructl already
writes before it (its ``depends_on``, transitively): cabructl's order has no cycle, so the
stack's has none either; everything else it names keeps its value, with the stack's own
partition, region and account in its ARNs. What a resource waits for and does not reference
becomes ``DependsOn``, and what cabructl guards against data loss is retained by the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from cabructl.engine.state import desired_state
from cabructl.errors import CabructlError
from cabructl.resources import Handler, Resource, handlers
from cabructl.resources.base import offline_context
from cabructl.resources.cloudformation import MAIN, CfnMapping, mapping_for, missing_mappings
from cabructl.resources.cloudformation.intrinsics import Known, Namer, intrinsic, referenced
from cabructl.resources.cloudformation.reading import METADATA_KEY
from cabructl.resources.outputs import AGENT_PUBLISHERS, agent_of, agent_policy_address, output_address
from cabructl.topology.model import Topology

FORMAT_VERSION = "2010-09-09"
RETAIN = "Retain"


class ExportError(CabructlError):
    reference = "export-cloudformation"


def cloudformation_template(topology: Topology) -> dict[str, Any]:
    """The template, as data: Parameters, Resources and Outputs of the topology's backbone."""
    by_kind = {handler.kind: handler for handler in handlers()}
    context = offline_context(topology)
    desired = desired_state(topology, context, list(by_kind.values()))
    unmapped = missing_mappings(resource.kind for resource in desired.values())
    if unmapped:
        raise ExportError(f"no CloudFormation mapping for {', '.join(unmapped)}: the template would leave them out",
                          hint="this is a bug in cabructl; `cabructl apply` still creates them")
    layout = _Layout.of(desired)
    namer = _namer(layout, context)
    resources: dict[str, Any] = {}
    for address in layout.owners:
        resources.update(_resources(layout, address, namer, by_kind[desired[address].kind], context))
    for address in layout.owners:
        _order(layout, address, resources)
    _check_acyclic(resources)
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": FORMAT_VERSION,
        "Description": f"{topology.owner_tag}: the EventBridge backbone of {topology.project} (cabructl export cloudformation)",
        "Metadata": {METADATA_KEY: {"topology": topology.owner_tag, "region": topology.region,
                                    "left_out": left_out(desired.values())}},
        "Parameters": _parameters(layout),
        "Resources": resources,
        "Outputs": _outputs(topology, desired, layout),
    }
    return {key: value for key, value in template.items() if value}  # no empty Parameters or Outputs


def _parameters(layout: "_Layout") -> dict[str, Any]:
    """The stack parameters the resources ask for (connection secrets), never with a value."""
    parameters: dict[str, Any] = {}
    for address in layout.owners:
        resource = layout.desired[address]
        for parameter in mapping_for(resource.kind).parameters(resource, layout.ids[address]):
            parameters[parameter.name] = {"Type": "String", "NoEcho": parameter.no_echo, "Description": parameter.description}
    return parameters


def left_out(resources: Iterable[Resource]) -> dict[str, dict[str, str]]:
    """Per kind of the template, what it cannot say and why (also in the template's Metadata)."""
    return {kind: dict(mapping_for(kind).left_out) for kind in sorted({resource.kind for resource in resources})
            if mapping_for(kind).left_out}


@dataclass
class _Layout:
    """Which template resources the desired state becomes, and which may reference which."""

    desired: Mapping[str, Resource]
    owners: list[str] = field(default_factory=list)  # addresses with resources of their own, in plan order
    members: dict[str, list[str]] = field(default_factory=dict)  # owner → itself and what folds into it
    owner_of: dict[str, str] = field(default_factory=dict)  # every address → the owner whose resource holds it
    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # owner → suffix → logical id
    closures: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, desired: Mapping[str, Resource]) -> "_Layout":
        layout = cls(desired)
        taken: set[str] = set()
        for address, resource in desired.items():
            mapping = mapping_for(resource.kind)
            if mapping.folds_into is None:
                layout.owners.append(address)
                layout.members[address] = [address]
                layout.ids[address] = _logical_ids(mapping, address, taken)
        for address, resource in desired.items():
            owner = address if address in layout.members else _folded_owner(resource, layout.members)
            layout.owner_of[address] = owner
            if owner != address:
                layout.members[owner].append(address)
        return layout

    def closure(self, address: str) -> frozenset[str]:
        """Everything ``address`` waits for in cabructl's order, transitively."""
        if address not in self.closures:
            self.closures[address] = frozenset()  # cabructl's graph has no cycle; this only stops a bad one
            found: set[str] = set()
            for dependency in self.desired[address].depends_on if address in self.desired else ():
                found |= {dependency, *self.closure(dependency)}
            self.closures[address] = frozenset(found)
        return self.closures[address]

    def allowed(self, owner: str, *, companion: bool = False) -> Any:
        """Which addresses the template resources of ``owner`` may reference: what its members wait for,
        and nothing that waits for any of them; a companion (a queue policy) also its own main resource."""
        members = set(self.members[owner])
        reach = set().union(*(self.closure(member) for member in members))

        def may(address: str) -> bool:
            if companion and address == owner:
                return True
            return address in reach and address not in members and address in self.ids and not (self.closure(address) & members)

        return may


def _folded_owner(resource: Resource, owners: Mapping[str, list[str]]) -> str:
    if resource.parent not in owners:
        raise ExportError(f"{resource.address} folds into {mapping_for(resource.kind).folds_into}, and its parent "
                          f"{resource.parent} is not in the template")
    return str(resource.parent)


def _logical_ids(mapping: CfnMapping, address: str, taken: set[str]) -> dict[str, str]:
    """``sqs.queue.eventbridge-dlq`` → ``QueueEventbridgeDlq`` (+ ``Policy``), unique in the template."""
    logical = camel(address[len(mapping.kind) + 1:])
    base = mapping.prefix if logical.lower() == mapping.prefix.lower() else mapping.prefix + logical
    base, number = base[:200], 1
    candidate = base
    while any(candidate + suffix in taken for suffix in mapping.suffixes):
        number += 1
        candidate = f"{base}{number}"
    ids = {suffix: candidate + suffix for suffix in mapping.suffixes}
    taken.update(ids.values())
    return ids


def camel(text: str) -> str:
    """Logical ids are alphanumeric: ``critical-events.dlq_2`` → ``CriticalEventsDlq2``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def _namer(layout: _Layout, context: Any) -> Namer:
    """The ARNs and names of the template's resources, each with the reference that says it."""
    namer = Namer(context)
    for owner in layout.owners:
        resource = layout.desired[owner]
        mapping = mapping_for(resource.kind)
        arn, arn_text = mapping.arn_value(resource, context), mapping.reference(layout.ids[owner], "arn")
        if arn and arn_text:
            namer.add_arn(arn, Known(owner, arn_text, mapping.embeds))
        name_text = mapping.reference(layout.ids[owner], "name")
        if name_text:
            namer.add_name(resource.name, Known(owner, name_text))
    return namer


def _resources(layout: _Layout, owner: str, namer: Namer, handler: Handler, context: Any) -> dict[str, Any]:
    """The template resources of one owner: its pieces, what folds into them, and their references."""
    resource = layout.desired[owner]
    mapping = mapping_for(resource.kind)
    ids = layout.ids[owner]
    pieces = mapping.pieces(resource, ids, context)
    for member in layout.members[owner][1:]:
        mapping_for(layout.desired[member].kind).fold(layout.desired[member], pieces[0].properties)
    made: dict[str, Any] = {}
    for piece in pieces:
        main = piece.suffix == MAIN
        entry: dict[str, Any] = {"Type": piece.type}
        if main and handler.holds_data:
            entry["DeletionPolicy"] = entry["UpdateReplacePolicy"] = RETAIN  # what cabructl's data-loss guard protects
        entry["Metadata"] = {METADATA_KEY: {"address": owner, "kind": resource.kind, **({} if main else {"piece": piece.suffix})}}
        entry["Properties"] = namer.reference(piece.properties, layout.allowed(owner, companion=not main))
        made[ids[piece.suffix]] = entry
    return made


def _order(layout: _Layout, owner: str, resources: dict[str, Any]) -> None:
    """``DependsOn`` on the owner's main resource: every template resource of what its members wait for
    that the stack does not already order it after (what it references, and what those wait for in
    turn: a key's alias, and its key)."""
    members = set(layout.members[owner])
    waits = {layout.owner_of[dependency] for member in members for dependency in layout.desired[member].depends_on
             if dependency in layout.owner_of}
    allowed = layout.allowed(owner)
    logical = {item for address in waits if address != owner and allowed(address)
               for item in layout.ids[address].values() if item in resources}
    main = layout.ids[owner][MAIN]
    depends_on = sorted(logical - _ordered_before(referenced(resources[main]["Properties"]), resources))
    if depends_on:
        entry = resources[main]
        resources[main] = {"Type": entry["Type"], "DependsOn": depends_on, **entry}


def _ordered_before(logical: set[str], built: Mapping[str, Any]) -> set[str]:
    """``logical`` and everything the built resources among them reference or depend on, transitively."""
    from cabructl.engine.graph import with_dependencies

    edges = {item: [*referenced(entry.get("Properties", {})), *entry.get("DependsOn", [])] for item, entry in built.items()}
    return with_dependencies(sorted(logical), edges)


def _outputs(topology: Topology, desired: Mapping[str, Resource], layout: _Layout) -> dict[str, Any]:
    """The topology's ``outputs:`` as stack outputs, exported as ``<stack>-<output>``; the agents'
    publisher policies (a map) as one output per agent."""
    outputs: dict[str, Any] = {}
    for name, reference in topology.outputs.items():
        owner, _, attribute = reference.rpartition(".")
        if owner == AGENT_PUBLISHERS:
            agents = sorted(agent for agent in map(agent_of, desired) if agent is not None)
            entries = [(f"{name}-{agent}", agent_policy_address(agent), f"{reference} of agent {agent}") for agent in agents]
        else:
            entries = [(name, output_address(reference, desired)[0], reference)]
        for key, address, description in entries:
            value = _output_value(layout, desired, address, attribute)
            if value is not None:
                if camel(key) in outputs:
                    raise ExportError(f"outputs {key!r} and another one are both {camel(key)} in CloudFormation",
                                      hint="rename one of them in `outputs:` (letters and digits tell them apart)")
                outputs[camel(key)] = {"Description": description, "Value": value,
                                       "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-" + re.sub(r"[^A-Za-z0-9-]", "-", key)}}}
    return outputs


def _output_value(layout: _Layout, desired: Mapping[str, Resource], address: str, attribute: str) -> Any:
    """The output's value; None when cabructl creates no such resource (its ``outputs`` says none either)."""
    if address not in desired:
        return None
    text = mapping_for(desired[address].kind).reference(layout.ids[layout.owner_of[address]], attribute)
    if text is not None:
        return intrinsic(text)
    if attribute == "name":
        return desired[address].name
    raise ExportError(f"{address} has no {attribute} a stack output can name", hint="use its arn or name in `outputs:`")


def _check_acyclic(resources: Mapping[str, Any]) -> None:
    """The stack must be able to order its resources: a cycle here is a bug in a mapping, said plainly."""
    edges = {logical: (referenced(entry.get("Properties", {})) | set(entry.get("DependsOn", []))) & set(resources)
             for logical, entry in resources.items()}
    state: dict[str, int] = {}

    def visit(logical: str, path: tuple[str, ...]) -> None:
        if state.get(logical) == 2:
            return
        if state.get(logical) == 1:
            raise ExportError(f"the template's references make a cycle: {' → '.join(path + (logical,))}")
        state[logical] = 1
        for other in sorted(edges[logical]):
            visit(other, path + (logical,))
        state[logical] = 2

    for logical in resources:
        visit(logical, ())


# -- YAML -----------------------------------------------------------------------------------
# Strings YAML 1.1 (CloudFormation's reading) would take for something else: booleans, null,
# numbers, dates, octal. They are written quoted; every other string as YAML chooses.
_NOT_PLAIN = re.compile(r"(?i)(y|n|yes|no|on|off|true|false|null|~|)|[-+]?(\.[0-9]+|[0-9][0-9_,.:]*)([e][-+]?[0-9]+)?"
                        r"|[-+]?\.(inf|nan)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?|0x[0-9a-f_]+|0o?[0-7_]+")


def render_template(template: Mapping[str, Any]) -> str:
    """The template as YAML, in the order it was built (one JSON string per line, never folded)."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 1 << 16
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(str, _represent_string)
    stream = io.StringIO()
    yaml.dump(_plain(template), stream)
    return stream.getvalue()


def _represent_string(representer: Any, text: str) -> Any:
    style = '"' if _NOT_PLAIN.fullmatch(text) else None
    return representer.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _plain(value: Any) -> Any:
    """Plain dicts, lists and built-in strings (a ``Regional`` is a str to YAML)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value
