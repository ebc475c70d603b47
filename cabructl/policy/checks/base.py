"""What every policy check is: fixed metadata, parameters from policy.yaml, a pure ``check``.

Modelled on cfn-lint's rules: a check has an ``id`` (``COST001``), a one-line
``shortdesc``, a ``description`` and maybe a ``source_url``; its severity and
parameters come from ``policies/policy.yaml``, never from the code. ``check``
reads the topology and the traffic model and yields :class:`Violation` values
that name a topology path; the runner turns paths into ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from cabructl.diagnostics import Path
from cabructl.policy.traffic import TrafficModel
from cabructl.topology.model import Topology

CASE_LABELS = {"worst_case": "worst-case", "expected": "expected"}
_DURATION_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


@dataclass(frozen=True)
class Violation:
    """One problem a check found, at a path of the topology document."""

    path: Path
    message: str
    hint: str | None = None


class Check:
    """Base of every policy check; subclasses set the metadata and implement ``check``."""

    id: ClassVar[str]
    shortdesc: ClassVar[str]
    description: ClassVar[str]
    source_url: ClassVar[str] = ""

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        self.parameters = dict(parameters)

    def check(self, topology: Topology, model: TrafficModel) -> Iterable[Violation]:
        raise NotImplementedError


def usd(amount: float) -> str:
    return f"{amount:,.2f} USD"


def count(number: float) -> str:
    """Event counts as people read them: 1,500,000."""
    return f"{number:,.0f}"


def duration(seconds: int) -> str:
    """``3600`` → ``1h``: the way topology.yaml writes periods."""
    for unit, size in _DURATION_UNITS:
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
