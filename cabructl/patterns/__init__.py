"""EventBridge event patterns: parse, validate, match, and index many rules.

Only the standard library is used, and submodules load on first use of a name,
so importing this package costs nothing until a pattern is actually handled.

    from cabructl.patterns import compile_pattern, compile_rules, PatternError, validate_pattern
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cabructl.lazy import lazy_getattr

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.patterns.api import (
        CompiledPattern,
        compile_pattern,
        pattern_fields,
        pattern_size,
        uses_wildcard,
        validate_pattern,
    )
    from cabructl.patterns.errors import PatternError
    from cabructl.patterns.grammar import MAX_PATTERN_CHARS
    from cabructl.patterns.ruleset import RuleSet, compile_rules

# public name -> submodule that defines it
EXPORTS = {
    "CompiledPattern": "api",
    "compile_pattern": "api",
    "pattern_fields": "api",
    "pattern_size": "api",
    "uses_wildcard": "api",
    "validate_pattern": "api",
    "PatternError": "errors",
    "MAX_PATTERN_CHARS": "grammar",
    "RuleSet": "ruleset",
    "compile_rules": "ruleset",
}

__all__ = sorted(EXPORTS)


__getattr__ = lazy_getattr(__name__, EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(EXPORTS))
