"""The retry algorithm alone: which entries go round again, how long it waits, what is reported.

A scripted PutEvents stands in for AWS here because the algorithm is pure; the
same behaviour is checked end to end against moto in test_publish.py.
"""

from __future__ import annotations

import random
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from cabructl.agents.delivery import Delivery, RetryPolicy

Script = Callable[[int, list[dict[str, Any]]], dict[str, Any]]


class ScriptedPutEvents:
    """Answers each call by ``script(call_number, entries)``; remembers what it was sent."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.sent: list[list[str]] = []

    def __call__(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent.append([entry["Detail"] for entry in entries])
        return self.script(len(self.sent), entries)


def entries(count: int) -> list[dict[str, Any]]:
    return [{"Source": "s", "DetailType": "t", "Detail": str(n), "EventBusName": "b"} for n in range(count)]


def accepted(entry: dict[str, Any]) -> dict[str, str]:
    return {"EventId": "id-" + entry["Detail"]}


def failing(code: str) -> dict[str, str]:
    return {"ErrorCode": code, "ErrorMessage": code.lower()}


def throttled(call: int, batch: list[dict[str, Any]]) -> dict[str, Any]:
    raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutEvents")


def delivery(put: ScriptedPutEvents, waits: list[float] | None = None, attempts: int = 5) -> Delivery:
    sleep = (waits.append if waits is not None else lambda seconds: None)
    return Delivery(put, RetryPolicy(max_attempts=attempts, base_delay=0.1, max_delay=1.0), rng=random.Random(7), sleep=sleep)


def test_only_failed_entries_are_sent_again() -> None:
    def script(call: int, batch: list[dict[str, Any]]) -> dict[str, Any]:
        results = [failing("InternalFailure") if call == 1 and int(e["Detail"]) % 3 == 0 else accepted(e) for e in batch]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}

    put = ScriptedPutEvents(script)
    outcomes = delivery(put).send(entries(10))
    assert put.sent == [[str(n) for n in range(10)], ["0", "3", "6", "9"]]
    assert [o.event_id for o in outcomes] == [f"id-{n}" for n in range(10)]
    assert [o.attempts for o in outcomes] == [2, 1, 1, 2, 1, 1, 2, 1, 1, 2]


def test_failed_entries_from_several_calls_are_retried_together() -> None:
    def script(call: int, batch: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Entries": [failing("ThrottlingException") if call <= 2 and e["Detail"] in ("1", "12") else accepted(e) for e in batch]}

    put = ScriptedPutEvents(script)
    assert all(o.event_id for o in delivery(put).send(entries(15)))
    assert put.sent[2] == ["1", "12"] and len(put.sent) == 3


def test_a_throttled_call_is_retried_whole_with_growing_jittered_waits() -> None:
    def script(call: int, batch: list[dict[str, Any]]) -> dict[str, Any]:
        if call <= 3:
            throttled(call, batch)
        return {"Entries": [accepted(e) for e in batch]}

    waits: list[float] = []
    put = ScriptedPutEvents(script)
    outcomes = delivery(put, waits).send(entries(4))
    assert all(o.event_id for o in outcomes) and len(put.sent) == 4
    assert len(waits) == 3
    assert all(0 <= wait <= cap for wait, cap in zip(waits, (0.1, 0.2, 0.4)))


def test_retries_run_out_and_the_last_error_is_reported() -> None:
    put = ScriptedPutEvents(throttled)
    outcomes = delivery(put, attempts=3).send(entries(2))
    assert len(put.sent) == 3
    assert [(o.event_id, o.error_code, o.attempts) for o in outcomes] == [(None, "ThrottlingException", 3)] * 2


@pytest.mark.parametrize("code", ["AccessDeniedException", "MalformedDetail", "NotAuthorizedForSourceException", "InvalidArgument"])
def test_non_retryable_entry_errors_are_reported_at_once(code: str) -> None:
    put = ScriptedPutEvents(lambda call, batch: {"Entries": [failing(code) if e["Detail"] == "1" else accepted(e) for e in batch]})
    outcomes = delivery(put).send(entries(3))
    assert len(put.sent) == 1
    assert (outcomes[1].error_code, outcomes[1].error_message) == (code, code.lower())
    assert outcomes[0].event_id == "id-0" and outcomes[2].event_id == "id-2"


def test_a_call_refused_for_good_fails_its_entries_without_retry() -> None:
    def script(call: int, batch: list[dict[str, Any]]) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "Event bus b does not exist."}}, "PutEvents")

    put = ScriptedPutEvents(script)
    outcomes = delivery(put).send(entries(2))
    assert len(put.sent) == 1 and {o.error_code for o in outcomes} == {"ResourceNotFoundException"}


def test_a_connection_lost_after_sending_is_reported_not_retried() -> None:
    """The events may have been published: retrying could duplicate them."""

    def script(call: int, batch: list[dict[str, Any]]) -> dict[str, Any]:
        raise ReadTimeoutError(endpoint_url="http://events")

    put = ScriptedPutEvents(script)
    outcomes = delivery(put).send(entries(2))
    assert len(put.sent) == 1 and {o.error_code for o in outcomes} == {"ReadTimeoutError"}


def test_an_entry_without_a_result_is_reported_never_dropped() -> None:
    put = ScriptedPutEvents(lambda call, batch: {"Entries": [accepted(batch[0])]})
    outcomes = delivery(put).send(entries(2))
    assert outcomes[0].event_id == "id-0"
    assert outcomes[1].error_code == "MissingResultEntry"


def test_bugs_are_not_mistaken_for_aws_errors() -> None:
    def script(call: int, batch: list[dict[str, Any]]) -> dict[str, Any]:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        delivery(ScriptedPutEvents(script)).send(entries(1))
