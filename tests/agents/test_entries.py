"""Entry sizes as AWS counts them, and batches that respect both PutEvents limits."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cabructl.agents.entries import build_entry, entry_size, envelope_problems, split_batches, with_envelope
from cabructl.agents.errors import EventValidationError
from cabructl.constants import EVENT_JSON_MAX_DEPTH, PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES


def test_entry_size_counts_utf8_bytes_of_source_detail_type_detail_and_resources() -> None:
    entry = build_entry("src", "Type", {"text": "ção"}, "bus", resources=["arn:1", "é"])
    detail = '{"text":"ção"}'
    assert entry["Detail"] == detail
    assert entry_size(entry) == 3 + 4 + len(detail.encode()) + 5 + 2  # the bus name does not count


def test_a_time_parameter_counts_fourteen_bytes() -> None:
    without = build_entry("s", "t", {}, "bus")
    with_time = build_entry("s", "t", {}, "bus", time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert entry_size(with_time) - entry_size(without) == 14


def test_envelope_adds_correlation_id_and_timestamp_but_keeps_given_ones() -> None:
    stamped = with_envelope({"a": 1})
    assert set(stamped) == {"a", "correlationId", "timestamp"}
    assert datetime.fromisoformat(stamped["timestamp"]).utcoffset() is not None
    kept = with_envelope({"correlationId": "c-1", "timestamp": "2024-01-01T00:00:00Z"}, correlation_id="c-2")
    assert kept == {"correlationId": "c-1", "timestamp": "2024-01-01T00:00:00Z"}
    assert with_envelope({}, correlation_id="c-2")["correlationId"] == "c-2"


def test_batches_split_at_ten_entries() -> None:
    batches = split_batches([100] * 25)
    assert [len(batch.positions) for batch in batches] == [10, 10, 5]
    assert [position for batch in batches for position in batch.positions] == list(range(25))


def test_batches_split_before_256_kb() -> None:
    size = 100 * 1024
    batches = split_batches([size, size, size, 1])
    assert [batch.positions for batch in batches] == [(0, 1), (2, 3)]
    assert all(batch.size <= PUT_EVENTS_MAX_BYTES for batch in batches)


def test_an_entry_of_exactly_the_limit_travels_alone() -> None:
    assert [batch.positions for batch in split_batches([1, PUT_EVENTS_MAX_BYTES, 1])] == [(0,), (1,), (2,)]


def test_an_entry_over_the_limit_is_a_bug_upstream() -> None:
    with pytest.raises(ValueError, match="over the 262,144-byte limit"):
        split_batches([PUT_EVENTS_MAX_BYTES + 1])


@given(st.lists(st.integers(min_value=1, max_value=PUT_EVENTS_MAX_BYTES), max_size=60))
def test_batches_always_respect_both_limits_and_keep_order(sizes: list[int]) -> None:
    batches = split_batches(sizes)
    assert [position for batch in batches for position in batch.positions] == list(range(len(sizes)))
    for batch in batches:
        assert 1 <= len(batch.positions) <= PUT_EVENTS_MAX_ENTRIES
        assert batch.size == sum(sizes[p] for p in batch.positions) <= PUT_EVENTS_MAX_BYTES
    for first, second in zip(batches, batches[1:]):  # greedy: the next entry did not fit
        assert len(first.positions) == PUT_EVENTS_MAX_ENTRIES or first.size + sizes[second.positions[0]] > PUT_EVENTS_MAX_BYTES


def nested(levels: int) -> dict:
    """A detail ``levels`` deep (the detail object itself is level 1)."""
    detail: dict = {}
    for _ in range(levels - 1):
        detail = {"a": detail}
    return detail


@pytest.mark.parametrize("detail,fragment", [
    ({"x": float("nan")}, "detail: it holds NaN or an infinite number, which JSON cannot carry"),
    ({"x": [float("inf")]}, "detail: it holds NaN or an infinite number"),
    ({"x": "\ud800"}, "detail: a string in it holds a lone UTF-16 surrogate"),
    ({"x": object()}, "detail: it holds a value JSON has no type for"),
    (nested(EVENT_JSON_MAX_DEPTH), f"detail: it nests deeper than {EVENT_JSON_MAX_DEPTH - 1} levels, so the event around it would pass"),
], ids=["nan", "infinity", "lone-surrogate", "not-json", "one-level-too-deep"])
def test_what_cabructl_sends_is_standard_json_it_can_read_back(detail: dict, fragment: str) -> None:
    with pytest.raises(EventValidationError) as raised:
        build_entry("s", "Type", detail, "bus")
    assert fragment in str(raised.value) and str(raised.value).startswith("invalid Type: ")


def test_the_deepest_detail_sent_makes_an_event_of_exactly_the_limit() -> None:
    entry = build_entry("s", "Type", nested(EVENT_JSON_MAX_DEPTH - 1), "bus")
    assert envelope_problems({"source": "s", "detail-type": "Type", "detail": nested(EVENT_JSON_MAX_DEPTH - 1)}) == []
    assert entry["Detail"].count("{") == EVENT_JSON_MAX_DEPTH - 1


@pytest.mark.parametrize("event,problem", [
    ({"source": 123, "detail-type": "t", "detail": {}}, "source must be a non-empty string, not a number (123)"),
    ({"source": "s", "detail-type": ["x"], "detail": {}}, "detail-type must be a non-empty string, not an array"),
    ({"source": "s", "detail-type": "t", "detail": "text"}, 'detail must be a JSON object, not a string ("text")'),
    ({"source": "s", "detail-type": "t", "detail": [1, 2]}, "detail must be a JSON object, not an array"),
    ({"source": "s", "detail-type": "t"}, "detail is missing"),
    ({"detail-type": "t", "detail": {}}, "source is missing"),
    ({"source": "s", "detail-type": "t", "detail": {}, "resources": "arn:x"}, 'resources must be a list of strings, not a string ("arn:x")'),
    ({"source": "s", "detail-type": "t", "detail": {}, "time": 5}, "time must be a string, not a number (5)"),
    ({"source": "s", "detail-type": "t", "detail": {"blob": "x" * PUT_EVENTS_MAX_BYTES}},
     f"the event is {PUT_EVENTS_MAX_BYTES + 13:,} bytes; PutEvents takes at most {PUT_EVENTS_MAX_BYTES:,} per entry"),
    ({"source": "s", "detail-type": "t", "detail": nested(EVENT_JSON_MAX_DEPTH)}, "detail: it nests deeper than 63 levels"),
], ids=["source-number", "detail-type-array", "detail-text", "detail-array", "no-detail", "no-source", "resources-string",
        "time-number", "too-large", "too-deep"])
def test_envelopes_put_events_would_refuse(event: dict, problem: str) -> None:
    assert any(found.startswith(problem) for found in envelope_problems(event)), envelope_problems(event)
