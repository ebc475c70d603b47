"""Cost model, budget and limit checks, delivery-permission checks: the policy gate.

    from cabructl.policy import evaluate_policy
    report = evaluate_policy(topology)          # offline; the topology's pricing profile
    report.ok, report.errors, report.warnings        # rendering is cabructl.output.policy's

Names load on first use (PEP 562), so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cabructl.lazy import lazy_getattr

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.policy.report import Finding, PolicyReport, evaluate_policy

EXPORTS = {"Finding": "report", "PolicyReport": "report", "evaluate_policy": "report"}
__all__ = sorted(EXPORTS)


__getattr__ = lazy_getattr(__name__, EXPORTS, globals())