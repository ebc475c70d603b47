"""Delivery to rule targets compiles each JSONPath once per endpoint, not once per event."""

from __future__ import annotations

from typing import Any

import jsonpath_ng.ext

from cabructl.local.jsonpath_cache import install_jsonpath_cache


def test_starting_the_endpoint_installs_the_cache(local_aws: Any) -> None:
    """After an endpoint starts, the parse moto calls per delivered event returns the compiled path it made before."""
    expression = "$.detail.cache_probe"
    assert jsonpath_ng.ext.parse(expression) is jsonpath_ng.ext.parse(expression)


def test_paths_are_compiled_once_and_still_find_the_same_values() -> None:
    install_jsonpath_cache()  # idempotent: no cache around the cache
    first = jsonpath_ng.ext.parse("$.detail.severity")
    assert jsonpath_ng.ext.parse("$.detail.severity") is first
    assert [match.value for match in first.find({"detail": {"severity": "HIGH"}})] == ["HIGH"]
    assert not hasattr(jsonpath_ng.ext.parse.__wrapped__, "cache_info")
