"""Failures on purpose: make the local endpoint fail deliveries to chosen targets.

A team rehearses its dead-letter review by watching an event fail, reach the DLQ and
be redriven. ``cabructl local serve --fail TARGET_ID[=ERROR_CODE]`` starts with such
failures; the control call below changes them while the endpoint runs:

    GET    /_cabructl/failures              → {"failures": [{"target_id": …, "error_code": …}]}
    PUT    /_cabructl/failures/TARGET_ID    body {"error_code": "NO_PERMISSIONS"} (optional)
    DELETE /_cabructl/failures/TARGET_ID    → the target delivers again
    GET    /_cabructl/deliveries            → {"pending_retries": n, "dropped": n}
    GET    /_cabructl/invocations           → {"invocations": [...]} (functions and API destinations invoked)
    DELETE /_cabructl/invocations           → the record emptied

A target is named by the ``Id`` of its PutTargets entry (the ``id`` in topology.yaml).
The code must be one of AWS's documented DLQ error codes; retried codes are retried
per the target's retry policy, the others go to the DLQ at once, as on AWS.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Iterable, Mapping

from cabructl.constants import DEFAULT_INJECTED_ERROR, DELIVERY_ERROR_CODES
from cabructl.errors import CabructlError
from cabructl.resources.targets.function import INVOCATIONS_PATH

CONTROL_PREFIX = "/_cabructl/"
FAILURES_PATH = CONTROL_PREFIX + "failures"
DELIVERIES_PATH = CONTROL_PREFIX + "deliveries"
INJECTED_MESSAGE = "failure injected on the local endpoint (local serve --fail)"


class FailureSpecError(CabructlError):
    """A failure to inject that names no target or no AWS error code."""

    reference = "local-failure"


def parse_failure(text: str) -> tuple[str, str]:
    """``TARGET_ID`` or ``TARGET_ID=ERROR_CODE`` → (target id, error code)."""
    target_id, _, code = text.partition("=")
    target_id, code = target_id.strip(), (code.strip().upper() or DEFAULT_INJECTED_ERROR)
    if not target_id:
        raise FailureSpecError(f'--fail "{text}": name a target id, e.g. --fail critical-sns or --fail critical-sns=NO_PERMISSIONS')
    check_error_code(code)
    return target_id, code


def check_error_code(code: str) -> None:
    if code not in DELIVERY_ERROR_CODES:
        raise FailureSpecError(f'unknown delivery error code "{code}"',
                         hint="one of AWS's DLQ error codes: " + ", ".join(sorted(DELIVERY_ERROR_CODES)))


class InjectedFailures:
    """Target id → the error code its deliveries fail with; shared by every server thread."""

    def __init__(self, failures: Mapping[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, str] = dict(failures or {})

    def set(self, target_id: str, code: str = DEFAULT_INJECTED_ERROR) -> None:
        check_error_code(code)
        with self._lock:
            self._codes[target_id] = code

    def clear(self, target_id: str | None = None) -> None:
        with self._lock:
            if target_id is None:
                self._codes.clear()
            else:
                self._codes.pop(target_id, None)

    def code_for(self, target_id: str) -> str | None:
        with self._lock:
            return self._codes.get(target_id)

    def listing(self) -> list[dict[str, str]]:
        with self._lock:
            return [{"target_id": target_id, "error_code": code} for target_id, code in sorted(self._codes.items())]


Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def control_app(failures: Callable[[], InjectedFailures], deliveries: Callable[[], Mapping[str, int]],
                invocations: Any = None) -> Wsgi:
    """The WSGI app answering ``/_cabructl/…`` (behind the origin guard, like everything else).

    ``failures`` and ``deliveries`` are read per request: the endpoint attaches its delivery only once
    it listens. ``invocations`` is the process's record (:class:`cabructl.local.invocations.Invocations`).
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        try:
            if path == INVOCATIONS_PATH and invocations is not None and method in ("GET", "DELETE"):
                if method == "DELETE":
                    invocations.clear()
                status, body = "200 OK", {"invocations": invocations.listing(), "handlers": invocations.handlers()}
            else:
                status, body = _answer(failures(), deliveries, method, path, _body(environ))
        except FailureSpecError as error:
            status, body = "400 Bad Request", {"error": str(error), "hint": error.hint}
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    return app


def _answer(failures: InjectedFailures, deliveries: Callable[[], Mapping[str, int]], method: str, path: str,
            body: Mapping[str, Any]) -> tuple[str, Any]:
    if path == DELIVERIES_PATH and method == "GET":
        return "200 OK", dict(deliveries())
    if path == FAILURES_PATH and method == "GET":
        return "200 OK", {"failures": failures.listing()}
    if path == FAILURES_PATH and method == "DELETE":
        failures.clear()
        return "200 OK", {"failures": []}
    if path.startswith(FAILURES_PATH + "/"):
        target_id = path[len(FAILURES_PATH) + 1:]
        if method == "PUT":
            failures.set(target_id, str(body.get("error_code") or DEFAULT_INJECTED_ERROR).upper())
            return "200 OK", {"failures": failures.listing()}
        if method == "DELETE":
            failures.clear(target_id)
            return "200 OK", {"failures": failures.listing()}
    return "404 Not Found", {"error": f"no control call {method} {path}", "hint": "see `cabructl local serve --help`"}


def _body(environ: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except ValueError:
        raise FailureSpecError("the control call's body is not JSON") from None
    if not isinstance(document, dict):
        raise FailureSpecError('the control call\'s body must be an object, e.g. {"error_code": "NO_PERMISSIONS"}')
    return document
