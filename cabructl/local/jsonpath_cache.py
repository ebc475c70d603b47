"""Make moto's delivery to rule targets fast: compile each JSONPath once, not per event.

moto renders every delivered event through ``EventTemplateParser.parse``, which
calls ``jsonpath_ng.ext.parse`` for eight paths per target per event, and that
builds a fresh LALR parser each time (about 40 ms). A local endpoint then
delivers a handful of events a second, which makes load tests and the demo
crawl. Parsed paths are immutable, so caching them changes no result.
"""

from __future__ import annotations

import functools

_CACHE_SIZE = 512


def install_jsonpath_cache() -> None:
    """Replace ``jsonpath_ng.ext.parse`` with a cached version; idempotent.

    moto imports ``parse`` inside the
    function at each call, so replacing the module attribute reaches them.
    """
    import jsonpath_ng.ext

    if hasattr(jsonpath_ng.ext.parse, "cache_info"):
        return
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=_CACHE_SIZE)(jsonpath_ng.ext.parse)
