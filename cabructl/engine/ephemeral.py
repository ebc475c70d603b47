"""Temporary resources a running command makes beside the topology (``cabructl tail``'s queue and target).

They are owned (they carry the ownership tags, or sit on an owned rule) and not declared, so by the
plain rule the next plan would delete them under the running command. Discovery marks them instead
with the one identity key :data:`~cabructl.resources.base.EPHEMERAL`: what made them and until when
their lease runs (the command renews it while it runs). The engine asks nothing else, and so names no
kind:

- lease running: the plan leaves the resource alone (a note says so) and drift lists it as
  *ephemeral*, which is not drift;
- lease ended: the command died without cleaning up (SIGKILL, a lost machine), and the resource is
  a leftover that the plan deletes. What it holds is a copy of events delivered elsewhere, so its
  deletion never counts as data loss.

``destroy`` deletes them whatever their lease: a rule cannot be deleted while it has targets.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass
from typing import Any, Mapping

from cabructl.resources.base import EPHEMERAL, Resource


@dataclass(frozen=True)
class Ephemeral:
    """A live temporary resource whose command is still running (its lease has not ended)."""

    address: str
    kind: str
    name: str
    made_by: str
    lease_until: float

    @property
    def message(self) -> str:
        return f"temporary, made by a running `{self.made_by}` (lease until {lease_time(self.lease_until)}); left alone"

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind, "name": self.name, "made_by": self.made_by,
                "lease_until": lease_time(self.lease_until)}


def lease_of(resource: Resource) -> Mapping[str, Any] | None:
    """The resource's ephemeral record (``made_by``, ``lease_until``), or None for a lasting resource."""
    record = resource.identity.get(EPHEMERAL)
    return record if isinstance(record, Mapping) else None


def is_running(resource: Resource, now: float) -> bool:
    """Temporary, and its lease has not ended: the command that made it still runs."""
    record = lease_of(resource)
    return record is not None and float(record.get("lease_until") or 0) > now


def running_ephemeral(desired: Mapping[str, Resource], live: Mapping[str, Resource], now: float) -> list[Ephemeral]:
    """Live owned resources that no declaration claims and whose lease still runs."""
    found = []
    for address, resource in sorted(live.items()):
        record = lease_of(resource)
        if address not in desired and resource.owned and record is not None and is_running(resource, now):
            found.append(Ephemeral(address, resource.kind, resource.name, str(record.get("made_by", "cabructl")),
                                   float(record["lease_until"])))
    return found


def leftover_note(resource: Resource, at: float) -> str | None:
    """Why a deletion removes a temporary resource, judged at ``at``, for the plan's reader; None for a lasting one."""
    record = lease_of(resource)
    if record is None:
        return None
    until = float(record.get("lease_until") or 0)
    made_by = record.get("made_by", "cabructl")
    if until > at:  # only a destroy deletes a running command's resource
        return f"temporary, made by a running `{made_by}` (lease until {lease_time(until)})"
    return f"left over by a `{made_by}` that did not clean up: its lease ended {lease_time(until)}"


def now() -> float:
    return time.time()


def lease_time(epoch: float) -> str:
    """Epoch seconds as ISO 8601 UTC, the form every other time in the output takes."""
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
