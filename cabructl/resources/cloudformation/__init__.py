"""The registry of CloudFormation mappings: one module per kind in this package, each with a ``MAPPING``.

The modules are found by listing the package, so adding a kind's mapping is adding its module;
a kind without one is reported by :func:`missing_mappings` (a test keeps it empty).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Iterable

from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Parameter, Piece, Read, Regional

__all__ = ["MAIN", "CfnMapping", "Parameter", "Piece", "Read", "Regional", "mappings", "mapping_for", "missing_mappings"]

_NOT_KINDS = {"base", "intrinsics", "reading"}


@functools.lru_cache(maxsize=1)
def mappings() -> dict[str, CfnMapping]:
    """Every kind's mapping, by cabructl kind."""
    found: dict[str, CfnMapping] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name in _NOT_KINDS:
            continue
        mapping = importlib.import_module(f"{__name__}.{module.name}").MAPPING
        found[mapping.kind] = mapping
    return found


def mapping_for(kind: str) -> CfnMapping:
    try:
        return mappings()[kind]
    except KeyError:
        raise KeyError(f"no CloudFormation mapping for kind {kind!r}") from None


def missing_mappings(kinds: Iterable[str]) -> list[str]:
    """The kinds among ``kinds`` that have no mapping (a template would leave them out)."""
    return sorted(set(kinds) - set(mappings()))
