"""Where a kind's live values go in topology.yaml: the data each handler declares for ``cabructl import``.

Handlers compare canonical attributes (``retention`` in seconds, ``retry.max_age``,
``pattern`` as parsed JSON). ``cabructl import`` must write a live value back where a
person declared it: ``queues.<name>.retention`` as ``14d``, a target's ``retry:
{attempts: 3, max_age: 1h}``, a log group's retention in days. That mapping is
kind-specific, so each handler carries its own :class:`KindImporter` (its ``importer``)
beside its verbs: where the resource is declared, where each canonical attribute goes,
and why the others cannot be imported (they are derived from other declarations, such
as a queue policy from the rules). :mod:`cabructl.resources.importers` reads them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from cabructl.diagnostics import Path
from cabructl.topology.model import Topology


class Form(str, enum.Enum):
    """How a canonical value becomes a topology value."""

    PLAIN = "plain"          # as is (numbers keep the file's form)
    SECONDS = "seconds"      # integer seconds → a duration in the file's unit
    DAYS = "days"            # whole days → a duration; None (never expire) removes the key
    STRUCTURE = "structure"  # edited in place, item by item (patterns)
    TAGS = "tags"            # per tag key, into the resource's own tags


@dataclass(frozen=True)
class Field:
    key: Path
    form: Form = Form.PLAIN


@dataclass(frozen=True)
class KindImporter:
    """Where a kind is declared and where its canonical attributes go."""

    declaration: Callable[[Topology, str], Any]          # logical name → model object (has .path), or None
    fields: Mapping[str, Field]                          # canonical attribute path → topology key
    not_importable: Mapping[str, str] = field(default_factory=dict)  # canonical attribute → why


TAGS = {"tags": Field(("tags",), Form.TAGS)}  # the resource's own tags, per key
DERIVED_POLICY = "derived from the rules that deliver to it; `cabructl apply` restores it"
