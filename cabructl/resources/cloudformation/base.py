"""What every kind's CloudFormation mapping is: the desired resource to template resources, and back.

One mapping per kind goes both ways so that the template and the plan cannot disagree: the
forward direction (:meth:`CfnMapping.pieces`) is written from the canonical attributes the
handler computes (mostly through the handler's own request builders), and the reverse
direction (:meth:`CfnMapping.read`) brings the template's properties back to the same
canonical form (mostly through the handler's own ``live_attributes``), so a test can compare
the two per address. Forward values are plain offline values (ARNs in the placeholder
account); the exporter turns the ARNs and names of the template's own resources into
references afterwards, so no mapping spells ``Ref`` or ``Fn::GetAtt`` for what it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from cabructl.resources.arns import tag_list, tag_map
from cabructl.resources.base import Context, Resource

MAIN = ""  # the suffix of a kind's main template resource


@dataclass(frozen=True)
class Piece:
    """One template resource a cabructl resource becomes (a queue is a queue and its queue policy)."""

    suffix: str  # MAIN for the kind's own resource; e.g. "Policy" for a queue's AWS::SQS::QueuePolicy
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class Parameter:
    """A stack parameter a piece needs (a connection's secret): asked at deploy time, never a value here."""

    name: str
    description: str
    no_echo: bool = True


class Regional(str):
    """Text whose JSON string ``"<region>"`` stands for the stack's own region (a dashboard body)."""


@dataclass(frozen=True)
class Read:
    """One cabructl resource as the template describes it, in the handler's canonical form."""

    address: str
    kind: str
    name: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict)


class CfnMapping:
    """Base of every kind's mapping. Subclasses set the class data and the two directions."""

    kind: ClassVar[str]
    prefix: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = (MAIN,)  # the pieces it makes (their logical ids are known beforehand)  # the start of the logical ids: "Queue" + "EventbridgeDlq"
    folds_into: ClassVar[str | None] = None  # the kind whose main resource carries it (a rule's targets)
    # Attributes (or "name") the template cannot say, and why: left out of the comparison and said in the docs.
    left_out: ClassVar[Mapping[str, str]] = {}
    embeds: ClassVar[bool] = True  # its ARN may be named inside a longer string (a log group's "ARN:*")

    # -- forward --------------------------------------------------------------------------
    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        """The template resources of ``resource``, main first; ``ids`` holds their logical ids by suffix.

        A piece may reference another piece of its own resource (a queue policy names its queue);
        everything else it names is an offline value the exporter turns into a reference."""
        raise NotImplementedError

    def fold(self, resource: Resource, parent: dict[str, Any]) -> None:
        """Put a folded resource into its parent's main properties (``folds_into`` kinds only)."""
        raise NotImplementedError

    def parameters(self, resource: Resource, ids: Mapping[str, str]) -> list[Parameter]:
        return []

    def arn_value(self, resource: Resource, context: Context) -> str | None:
        """The offline ARN other resources name this one by (what the exporter turns into a reference)."""
        arn = resource.identity.get("arn")
        return str(arn) if arn else None

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        """``Fn::Sub`` text for the resource's ``arn``, ``name`` or ``url`` (None: it cannot be referenced)."""
        return None

    # -- reverse --------------------------------------------------------------------------
    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        """The resource back from its pieces' properties (references already resolved), by suffix."""
        raise NotImplementedError

    def unfold(self, parent_address: str, parent: Mapping[str, Any]) -> list[Read]:
        """The folded resources a parent's resolved main properties carry (``folds_into`` kinds only)."""
        return []

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        """What ``Ref`` (attribute None) or ``Fn::GetAtt`` of one piece is, offline, from its resolved properties."""
        raise KeyError(f"{self.kind}: no value for {attribute or 'Ref'} of piece {suffix!r}")

    def comparable(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes both sides are compared on: everything but what the template cannot say."""
        return {key: value for key, value in attributes.items() if key not in self.left_out}


def tags(attributes: Mapping[str, Any]) -> list[dict[str, str]]:
    """The canonical tag map as CloudFormation's Key/Value list (sorted: a stable template)."""
    return tag_list(attributes.get("tags") or {})


def tags_back(properties: Mapping[str, Any]) -> dict[str, str]:
    return tag_map(properties.get("Tags") or [])


def present(**values: Any) -> dict[str, Any]:
    """Properties without the unset ones (None): CloudFormation's absence is AWS's default."""
    return {key: value for key, value in values.items() if value is not None}
