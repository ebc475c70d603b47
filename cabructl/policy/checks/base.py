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
from cabructl.policy.traffic import EXPECTED, WORST, TrafficModel
from cabructl.topology.model import Topology

# How a case reads before a noun: "the worst-case projection".
CASE_LABELS = {WORST: "worst-case", EXPECTED: "expected"}


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
