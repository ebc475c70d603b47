"""Lambda functions that run, and a record of everything the endpoint invoked that no AWS API shows.

moto's Lambda runs a function's code in Docker, which a rehearsal rarely has. Here a
function is a Python callable of the team's own, named at start
(``cabructl local serve --function NAME=module:callable``): an Invoke of the function
that the endpoint serves calls it in this process with the payload parsed as JSON, as
Lambda's Python runtime does, and a context object carrying what Lambda's does
(``function_name``, ``aws_request_id``, ``invoked_function_arn``, …). The function
must exist in moto's Lambda (CreateFunction) as on AWS: an Invoke of a missing one is
ResourceNotFound, which EventBridge does not retry.

Every invocation is recorded, whether the handler returned, raised, or none was
registered, and so is every HTTP request made to an API destination, refused ones
included; ``GET /_cabructl/invocations`` lists them (``cabructl local invocations``).
An asynchronous invocation (EventBridge's: ``InvocationType=Event``) succeeds once
accepted, as on AWS: a handler that raises is recorded as ``error``, but the delivery
is not failed, retried or dead-lettered (on AWS that is Lambda's own retry and its
on-failure destination, which the endpoint does not model).
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from cabructl.errors import CabructlError

log = logging.getLogger(__name__)

_PATCHED = "_cabructl_handlers"
MAX_RECORDS = 1000  # the oldest are forgotten beyond this: a long rehearsal must not grow without end


class FunctionSpecError(CabructlError):
    """A ``--function`` that names no function or no importable callable."""

    reference = "local-function"


def parse_function(text: str) -> tuple[str, Callable[..., Any]]:
    """``NAME=module:callable`` → (function name, the callable), imported now so a typo fails at start."""
    name, _, target = text.partition("=")
    module_name, _, attribute = target.strip().partition(":")
    name = name.strip()
    if not name or not module_name or not attribute:
        raise FunctionSpecError(f'--function "{text}": expected NAME=module:callable, e.g. triage=handlers.triage:handle')
    _import_from_current_directory()
    try:
        handler = importlib.import_module(module_name)
        for part in attribute.split("."):
            handler = getattr(handler, part)
    except (ImportError, AttributeError) as error:
        raise FunctionSpecError(f'--function "{text}": cannot import {target}: {error}',
                                hint="the module must be importable from the current directory or PYTHONPATH") from None
    if not callable(handler):
        raise FunctionSpecError(f'--function "{text}": {target} is not callable')
    return name, handler


def _import_from_current_directory() -> None:
    """Handlers are found where the person runs the command, as Lambda finds them in its task root:
    the console script, unlike ``python -m``, does not put the current directory on the path."""
    import os
    import sys

    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())


@dataclass
class LambdaContext:
    """What Lambda's Python runtime passes as ``context``."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_seconds: float
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


class Invocations:
    """The registered handlers and the record of invocations, shared by every server thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._records: list[dict[str, Any]] = []
        self._sequence = 0  # numbers every record, so a reader knows what is new after old ones are dropped

    def register(self, name: str, handler: Callable[..., Any]) -> None:
        with self._lock:
            self._handlers[name] = handler

    def handler(self, name: str) -> Callable[..., Any] | None:
        with self._lock:
            return self._handlers.get(name)

    def handlers(self) -> list[str]:
        with self._lock:
            return sorted(self._handlers)

    def record(self, item: Mapping[str, Any]) -> None:
        with self._lock:
            self._sequence += 1
            self._records.append({"seq": self._sequence,
                                  "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"), **item})
            del self._records[:-MAX_RECORDS]

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._records]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


INVOCATIONS = Invocations()  # one per process, like moto's backends


def invoke(fn: Any, body: Any, headers: Mapping[str, str], response_headers: dict[str, str]) -> bytes:
    """Run the function's handler as Lambda would, record it, and answer as Lambda's Invoke does."""
    invocation_type = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
    request_id = str(uuid.uuid4())
    response_headers["x-amzn-RequestId"] = request_id
    event = _payload(body)
    record: dict[str, Any] = {"kind": "function", "function_name": fn.function_name, "function_arn": fn.function_arn,
                              "request_id": request_id, "invocation_type": invocation_type, "event": event}
    handler = INVOCATIONS.handler(fn.function_name)
    if handler is None:
        result: Any = {"errorType": "NoHandler", "errorMessage": f"no handler for {fn.function_name} "
                       "(cabructl local serve --function NAME=module:callable)"}
        record.update(status="no-handler")
    else:
        try:
            result = handler(event, _context(fn, request_id))
            record.update(status="handled", result=_jsonable(result))
        except Exception as error:  # the function's own failure, reported as Lambda reports it
            result = {"errorType": type(error).__name__, "errorMessage": str(error),
                      "stackTrace": traceback.format_tb(error.__traceback__)}
            record.update(status="error", error={"type": type(error).__name__, "message": str(error)})
            log.info("function %s raised %s: %s", fn.function_name, type(error).__name__, error)
    INVOCATIONS.record(record)
    if invocation_type == "Event":
        return b""  # accepted: what the handler did is not the caller's to see
    if record["status"] != "handled":
        response_headers["x-amz-function-error"] = "Unhandled"
    return json.dumps(_jsonable(result)).encode()


def _context(fn: Any, request_id: str) -> LambdaContext:
    name = fn.function_name
    return LambdaContext(name, str(getattr(fn, "version", "$LATEST")), fn.function_arn, int(getattr(fn, "memory_size", 128) or 128),
                         request_id, f"/aws/lambda/{name}",
                         f"{_dt.date.today():%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}", float(getattr(fn, "timeout", 3) or 3))


def _payload(body: Any) -> Any:
    """The event as the Python runtime gives it: the payload parsed as JSON (an empty one is ``{}``)."""
    text = body.decode() if isinstance(body, (bytes, bytearray)) else (body or "")
    if not str(text).strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((str(value) for key, value in dict(headers).items() if key.lower() == name.lower()), None)


def install_function_handlers(routed_here: Callable[[], bool]) -> None:
    """Patch moto's Lambda Invoke once per process: for requests the endpoint serves (``routed_here``),
    the function is looked up as moto does (ResourceNotFound when missing) and run by :func:`invoke`."""
    from moto.awslambda.models import LambdaBackend

    if getattr(LambdaBackend.invoke, _PATCHED, False):
        return
    moto_invoke = LambdaBackend.invoke

    def patched(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
                response_headers: Any) -> Any:
        if not routed_here():
            return moto_invoke(self, function_name, qualifier, body, headers, response_headers)
        payload = invoke(self.get_function(function_name, qualifier), body, headers, response_headers)
        response_headers["Content-Length"] = str(len(payload))
        return payload

    setattr(patched, _PATCHED, True)
    LambdaBackend.invoke = patched


# -- the client side: `cabructl local invocations` ----------------------------------------------
def fetch_invocations(endpoint_url: str) -> dict[str, Any]:
    """The record of a running endpoint (``GET /_cabructl/invocations``); only a loopback endpoint is asked."""
    import urllib.error
    import urllib.request

    from cabructl.local.server import LocalEndpointError
    from cabructl.local.state import is_loopback_endpoint
    from cabructl.resources.targets.function import INVOCATIONS_PATH

    if not is_loopback_endpoint(endpoint_url):
        raise LocalEndpointError(f"{endpoint_url} is not a local endpoint on loopback", hint="start one with `cabructl local serve`")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(endpoint_url.rstrip("/") + INVOCATIONS_PATH, timeout=10) as response:
            return dict(json.load(response))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise LocalEndpointError(f"cannot read the invocations of {endpoint_url}: {error}",
                                 hint="is `cabructl local serve` running there?") from None


def invocation_lines(record: Mapping[str, Any]) -> list[str]:
    """One line per invocation, oldest first, for a terminal."""
    lines = []
    for item in record.get("invocations", []):
        if item.get("kind") == "function":
            what = f"function {item.get('function_name')} ({item.get('invocation_type')}, request {item.get('request_id')})"
            error = item.get("error") or {}
            outcome = f"{item.get('status')}" + (f": {error.get('type')}: {error.get('message')}" if error else "")
        else:
            what = f"API destination {item.get('method')} {item.get('url')}"
            outcome = str(item.get("status"))
        lines.append(f"{item.get('time')}  {what}  {outcome}")
    handlers = ", ".join(record.get("handlers", [])) or "none (local serve --function NAME=module:callable)"
    return (lines or ["no invocations yet"]) + [f"# function handlers: {handlers}"]
