"""A template read back into cabructl's terms: per address, the name and canonical attributes it describes.

Every reference is resolved to its value in the offline context (through each kind's
:meth:`CfnMapping.resolve`), the pieces of one resource are put together again (a queue and
its queue policy), and each kind's mapping brings them to the handler's canonical form, folded
resources (a rule's targets, the bus's policy) included. What comes out compares with the
desired state the plan is made of, address by address.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.resources.base import Context
from cabructl.resources.cloudformation import MAIN, Read, mapping_for, mappings
from cabructl.resources.cloudformation.intrinsics import resolve

METADATA_KEY = "cabructl"  # each template resource's Metadata: which address, kind and piece it is


class UnreadableTemplate(ValueError):
    """The template is not one cabructl wrote (a resource without its metadata, a cycle of references)."""


def read_template(template: Mapping[str, Any], context: Context) -> dict[str, Read]:
    """Every cabructl resource the template describes, by address."""
    resolver = _Resolver(template, context)
    groups: dict[str, dict[str, Mapping[str, Any]]] = {}
    kinds: dict[str, str] = {}
    for logical in template.get("Resources", {}):
        meta = resolver.metadata(logical)
        groups.setdefault(meta["address"], {})[meta.get("piece", MAIN)] = resolver.properties(logical)
        kinds[meta["address"]] = meta["kind"]
    reads: dict[str, Read] = {}
    for address, pieces in groups.items():
        reads[address] = mapping_for(kinds[address]).read(address, pieces, context)
        for folded in mappings().values():
            if folded.folds_into == kinds[address]:
                reads.update((read.address, read) for read in folded.unfold(address, pieces[MAIN]))
    return reads


class _Resolver:
    """Resolves the template's resources once each, in whatever order they reference each other."""

    def __init__(self, template: Mapping[str, Any], context: Context) -> None:
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.parameters: Mapping[str, Any] = template.get("Parameters", {})
        self.context = context
        self.done: dict[str, Any] = {}
        self.busy: set[str] = set()

    def metadata(self, logical: str) -> Mapping[str, Any]:
        meta = (self.resources[logical].get("Metadata") or {}).get(METADATA_KEY)
        if not meta:
            raise UnreadableTemplate(f"resource {logical} has no {METADATA_KEY} metadata: cabructl did not write it")
        return meta

    def properties(self, logical: str) -> Any:
        if logical in self.done:
            return self.done[logical]
        if logical in self.busy:
            raise UnreadableTemplate(f"resource {logical} references itself, through others")
        self.busy.add(logical)
        self.done[logical] = resolve(self.resources[logical].get("Properties", {}), self.lookup, self.context)
        self.busy.discard(logical)
        return self.done[logical]

    def lookup(self, logical: str, attribute: str | None) -> Any:
        if logical in self.parameters:
            return f"(parameter {logical})"  # a secret: never compared
        if logical not in self.resources:
            raise UnreadableTemplate(f"a reference to {logical}, which the template does not hold")
        meta = self.metadata(logical)
        return mapping_for(meta["kind"]).resolve(meta.get("piece", MAIN), self.properties(logical), attribute, self.context)
