"""What every resource handler is: the one shape all AWS kinds share.

A handler turns the topology into desired :class:`Resource` values, reads the live
ones, and creates, updates and deletes them. Both sides are brought to the same
canonical form (plain JSON data, durations in seconds, defaults filled) so the
engine can compare them without knowing any kind. Which attributes force a
replacement is data on the handler (``replace_on``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar, Iterable, Mapping

from cabructl.topology.model import Topology


@dataclass(frozen=True)
class Context:
    """Where the topology is being realised: account, region and partition make ARNs.

    ARNs are derived, not discovered, so that a rule's target can name a queue
    that does not exist yet, and ``policy check`` can reason about permissions
    offline (with a placeholder account).
    """

    account_id: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        account = self.account_id
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"


# An identity field a live resource may carry: what it holds that cabructl does not own and that is no
# resource of its own (a statement someone else put in a bus policy). A destroy keeps such a resource,
# as it keeps one that is the parent of an unowned resource (a bus with a rule made by hand).
HOLDS_UNOWNED = "holds_unowned"

# An identity field a live resource may carry: it is temporary, made by a running command beside the
# topology (``cabructl tail``'s queue and target), as ``{"made_by": "cabructl tail", "lease_until": epoch}``.
# While the lease runs, the engine leaves it alone (plan: no change; drift: ephemeral, not drift); once the
# lease has passed, the command is gone without cleaning up (SIGKILL), and the plan deletes the leftover.
EPHEMERAL = "ephemeral"
# The tags that carry it on a taggable resource: what made it (``tail``) and the lease's end, epoch seconds.
TAG_EPHEMERAL = "cabructl:ephemeral"
TAG_LEASE_UNTIL = "cabructl:lease-until"

OFFLINE_ACCOUNT = "123456789012"  # the account examples and the local endpoint use (moto's default)


def offline_context(topology: Topology) -> Context:
    """A context for offline reasoning (policy check, graphs): a placeholder account."""
    return Context(account_id=OFFLINE_ACCOUNT, region=topology.region)


@dataclass(frozen=True)
class Resource:
    """One AWS resource, desired or live, in canonical form.

    ``attributes`` is what is compared (tags included, under ``tags``);
    ``identity`` is what AWS assigns or what calls need (ARN, URL) and is never
    diffed; ``owned`` is False for a live resource cabructl must not touch.
    """

    address: str
    kind: str
    name: str
    attributes: Mapping[str, Any]
    depends_on: tuple[str, ...] = ()
    identity: Mapping[str, Any] = field(default_factory=dict)
    owned: bool = True
    parent: str | None = None  # address of the resource that owns this one (targets, schemas)

    def with_identity(self, **identity: Any) -> "Resource":
        return replace(self, identity={**self.identity, **identity})

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "name": self.name,
            "attributes": _jsonable(self.attributes),
            "depends_on": list(self.depends_on),
            "identity": _jsonable(self.identity),
            "owned": self.owned,
            "parent": self.parent,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Resource":
        return cls(
            address=data["address"],
            kind=data["kind"],
            name=data["name"],
            attributes=data["attributes"],
            depends_on=tuple(data.get("depends_on", ())),
            identity=data.get("identity", {}),
            owned=data.get("owned", True),
            parent=data.get("parent"),
        )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def address(kind: str, logical: str) -> str:
    """``sqs.queue`` + ``eventbridge-dlq`` → ``sqs.queue.eventbridge-dlq``."""
    return f"{kind}.{logical}"


class Handler:
    """Base of every kind. Subclasses set the class data and implement the verbs.

    Verbs take the shared :class:`cabructl.aws.Aws` and never raise NotFound:
    ``discover`` omits what is missing; ``delete`` of a missing resource succeeds.
    """

    kind: ClassVar[str]
    replace_on: ClassVar[tuple[str, ...]] = ()  # attributes whose change forces delete + create
    # Identity fields that, with the name, say where the resource lives (a rule's bus): the name and
    # these are never updated in place, so a change to any of them is a replace.
    located_by: ClassVar[tuple[str, ...]] = ()
    holds_data: ClassVar[bool] = False  # deleting it may lose data (queues, archives, log groups)
    routes_events: ClassVar[bool] = False  # an unmanaged one changes where events go (rules, targets)
    importer: ClassVar[Any] = None  # its KindImporter: where its live values go in topology.yaml (resources.importing)
    tag_updates_in_place: ClassVar[bool] = True
    # The topology section whose entries cause resources of this kind: where a finding about one is
    # placed (``sqs.queue.jobs`` → ``queues.jobs``), since a resource carries no path of its own.
    section: ClassVar[str | None] = None

    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        """The resources of this kind the topology declares, in canonical form."""
        raise NotImplementedError

    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """Live resources of this kind that the topology owns or could collide with.

        Ownership: tagged resources carry cabructl's tags; unowned ones with a
        desired name come back with ``owned=False`` (a conflict, never taken over).
        Resources in the topology's namespace that it no longer declares come
        back owned, so the plan deletes them.
        """
        raise NotImplementedError

    def create(self, aws: Any, resource: Resource) -> None:
        raise NotImplementedError

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        raise NotImplementedError

    def delete(self, aws: Any, live: Resource) -> None:
        raise NotImplementedError

    def adopt(self, aws: Any, desired: Resource, live: Resource) -> None:
        """Take over an unowned resource explicitly (``--adopt``): an update of what differs, tags included.

        What differs is judged on the canonical attributes, as for every update: adopting
        an IAM policy whose document already matches writes its tags and no new version.
        """
        self.update(aws, desired, live, changed_attributes(desired, live))

    def unready(self, aws: Any, resource: Resource) -> str | None:
        """Why writing ``resource`` (create, update, replace) cannot start, or None when it can.

        The apply asks it of every write before the first one, so a write that needs something
        from outside the topology (a connection's secret in an environment variable) stops the
        apply before anything is written, never in its middle. Reads only; the default needs nothing.
        """
        return None

    def data_held(self, live: Resource) -> str | None:
        """What deleting ``live`` would lose ("12 messages"), or None when nothing.

        Read from ``live.identity`` as discovery recorded it, so planning costs no extra call.
        """
        return None


def changed_attributes(desired: Resource, live: Resource) -> tuple[str, ...]:
    """The top-level canonical attributes whose values differ (the contract ``update`` is called with)."""
    keys = set(desired.attributes) | set(live.attributes)
    return tuple(sorted(key for key in keys if desired.attributes.get(key) != live.attributes.get(key)))


def tag_diff(desired: Mapping[str, str], live: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Tags to set and tag keys to remove, so tag updates touch only what changed."""
    to_set = {key: value for key, value in desired.items() if live.get(key) != value}
    to_remove = sorted(key for key in live if key not in desired)
    return to_set, to_remove


def update_tags(desired: Mapping[str, str], live: Mapping[str, str], tag: Callable[[dict[str, str]], Any],
                untag: Callable[[list[str]], Any]) -> None:
    """Tag and untag only what changed, so a tag edit never rewrites the resource (every kind, one rule).

    ``tag`` and ``untag`` are the kind's own calls (their parameter names and tag shapes differ).
    """
    to_set, to_remove = tag_diff(desired, live)
    if to_set:
        tag(to_set)
    if to_remove:
        untag(to_remove)


def in_view(owned: bool, name: str, topology: Topology, desired: Iterable[Resource]) -> bool:
    """The one rule every kind's discovery keeps a live resource by.

    What the topology owns; what a declaration names (unowned: a conflict, never taken
    over); and what sits in its namespace, a name under its prefix (unowned: reported by
    drift as unmanaged, never touched), as a rule on the topology's bus is. Anything
    else is someone else's and invisible to cabructl.
    """
    return owned or name.startswith(topology.prefix) or name in {resource.name for resource in desired}


def ephemeral_tags(made_by: str, lease_until: float) -> dict[str, str]:
    """The tags that mark a resource as ``made_by``'s (``tail``), leased until ``lease_until`` (epoch seconds)."""
    return {TAG_EPHEMERAL: made_by, TAG_LEASE_UNTIL: str(int(lease_until))}


def ephemeral_from_tags(tags: Mapping[str, str]) -> dict[str, Any] | None:
    """The :data:`EPHEMERAL` identity that ``tags`` describe, or None for a lasting resource.

    A lease tag that is missing or unreadable counts as ended: a leftover is deleted rather than kept forever.
    """
    made_by = tags.get(TAG_EPHEMERAL)
    if not made_by:
        return None
    try:
        until = float(tags.get(TAG_LEASE_UNTIL, "0"))
    except ValueError:
        until = 0.0
    return {"made_by": f"cabructl {made_by}", "lease_until": until}


def is_owned_by(tags: Mapping[str, str], topology: Topology) -> bool:
    """True when the ownership tags name this topology (project/environment)."""
    from cabructl.constants import TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_TOPOLOGY

    return tags.get(TAG_MANAGED_BY) == TAG_MANAGED_BY_VALUE and tags.get(TAG_TOPOLOGY) == topology.owner_tag


def canonical_json(text_or_value: Any) -> Any:
    """Parse JSON documents (patterns, policies, schema content) so that key order and
    whitespace never show as a change (terraform-provider-aws#298); numbers stay numbers."""
    if isinstance(text_or_value, str):
        try:
            return json.loads(text_or_value)
        except ValueError:
            return text_or_value
    return text_or_value


def compact_json(value: Any) -> str:
    """The form cabructl sends: sorted keys, no whitespace, numbers as written."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
