"""Rules in the Resource Groups Tagging API's index, which moto leaves out.

On AWS, ``tag:GetResources`` returns EventBridge rules (``events:rule``) beside
buses; moto 5.2 yields only buses. cabructl's discovery reads ownership tags from
that index and falls back to a ``ListTagsForResource`` per resource it does not
find there, so without rules the local endpoint would cost a call per rule that
AWS does not: the plan's calls per resource would differ from AWS's.

:func:`install_rule_tag_index` wraps ``EventsBackend.iter_tagged_resources`` once
per process (safe to call again): moto's buses first, then every rule of every bus.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterator

_PATCHED = "_cabructl_rule_tag_index"


def install_rule_tag_index() -> None:
    """Make the local tagging API list EventBridge rules too; idempotent."""
    from moto.events.models import EventsBackend

    if getattr(EventsBackend.iter_tagged_resources, _PATCHED, False):
        return
    EventsBackend.iter_tagged_resources = _with_rules(EventsBackend.iter_tagged_resources)


def _with_rules(moto_iter: Callable[[Any], Iterator[Any]]) -> Callable[[Any], Iterator[Any]]:
    from moto.core.resource_tagging import TaggedResource

    @functools.wraps(moto_iter)
    def iter_tagged_resources(backend: Any) -> Iterator[Any]:
        yield from moto_iter(backend)
        for bus in list(backend.event_buses.values()):
            for rule in list(bus.rules.values()):
                yield TaggedResource(arn=rule.arn, tags=backend.tagger.get_tag_dict_for_resource(rule.arn),
                                     resource_type="events:rule")

    setattr(iter_tagged_resources, _PATCHED, True)
    return iter_tagged_resources
