"""Delivery to rule targets compiles each JSONPath once per endpoint, not once per event."""

from __future__ import annotations

from typing import Any

import jsonpath_ng.ext

from cabructl.local.jsonpath_cache import install_jsonpath_cache


def test_starting_the_endpoint_installs_the_cache(local_aws: Any) -> None:
    assert hasattr(jsonpath_ng.ext.parse, "cache_info")


def test_paths_are_compiled_once_and_still_find_the_same_values() -> None:
    install_jsonpath_cache()  # idempotent: no cache around the cache
    first = jsonpath_ng.ext.parse("$.detail.severity")
    assert jsonpath_ng.ext.parse("$.detail.severity") is first
    assert [match.value for match in first.find({"detail": {"severity": "HIGH"}})] == ["HIGH"]
    assert not hasattr(jsonpath_ng.ext.parse.__wrapped__, "cache_info")
