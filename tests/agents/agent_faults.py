"""Faults injected through botocore's event hooks, as AWS would produce them.

``RejectEntries`` makes PutEvents fail chosen entries the way AWS does: they are
taken out of the request before it is sent (so they are really not published)
and an error result is put back in their place in the response. ``Throttle``
answers whole calls with a ThrottlingException without sending them.
"""

from __future__ import annotations

from typing import Any, Callable

from botocore.awsrequest import AWSResponse

from cabructl.aws import Aws

PUT_EVENTS = "events.PutEvents"


class RejectEntries:
    """Fail each entry for which ``reject(call_number, detail_json)`` is true, with ``code``."""

    def __init__(self, aws: Aws, reject: Callable[[int, str], bool], code: str = "InternalFailure") -> None:
        self.reject = reject
        self.code = code
        self.calls = 0
        self.rejected = 0
        aws.add_hook(f"before-parameter-build.{PUT_EVENTS}", self._take_out)
        aws.add_hook(f"before-call.{PUT_EVENTS}", self._answer_if_nothing_left)
        aws.add_hook(f"after-call.{PUT_EVENTS}", self._put_back)

    def _take_out(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        entries = params["Entries"]
        rejected = [i for i, entry in enumerate(entries) if self.reject(self.calls, entry["Detail"])]
        context["rejected_positions"] = rejected
        context["rejected_all"] = len(rejected) == len(entries)
        if not context["rejected_all"]:  # an empty request is invalid: then nothing is sent at all
            params["Entries"] = [entry for i, entry in enumerate(entries) if i not in rejected]

    def _answer_if_nothing_left(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not context.get("rejected_all"):
            return None
        rejected, context["rejected_positions"] = context["rejected_positions"], []
        self.rejected += len(rejected)
        failures = [self._failure() for _ in rejected]
        return AWSResponse("https://events.invalid/", 200, {}, None), {"FailedEntryCount": len(failures), "Entries": failures}

    def _put_back(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        positions = context.get("rejected_positions", [])
        if not positions or "Entries" not in parsed:
            return
        results = list(parsed["Entries"])
        for position in positions:
            results.insert(position, self._failure())
        self.rejected += len(positions)
        parsed["Entries"] = results
        parsed["FailedEntryCount"] = parsed.get("FailedEntryCount", 0) + len(positions)

    def _failure(self) -> dict[str, str]:
        return {"ErrorCode": self.code, "ErrorMessage": f"injected {self.code}"}


class Throttle:
    """Answer the first ``times`` PutEvents calls with a ThrottlingException; nothing is sent for them."""

    def __init__(self, aws: Aws, times: int, code: str = "ThrottlingException") -> None:
        self.remaining = times
        self.code = code
        aws.add_hook(f"before-call.{PUT_EVENTS}", self._answer)

    def _answer(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        response = AWSResponse("https://events.invalid/", 400, {}, None)
        return response, {"Error": {"Code": self.code, "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": 400}}


class DieAfter:
    """The endpoint dies once ``operation`` (``"sqs.DeleteMessageBatch"``) has answered ``times`` times.

    Every later call of any service raises EndpointConnectionError before it is
    sent, as a connection refused would after botocore's retries.
    """

    def __init__(self, aws: Aws, operation: str, times: int = 1) -> None:
        self.remaining = times
        aws.add_hook(f"after-call.{operation}", self._count)
        aws.add_hook("before-call.*.*", self._refuse)

    def _count(self, **_: Any) -> None:
        self.remaining -= 1

    def _refuse(self, **_: Any) -> None:
        if self.remaining <= 0:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://sqs.sa-east-1.amazonaws.com/")
