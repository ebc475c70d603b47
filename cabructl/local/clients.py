"""boto3 clients the local endpoint uses on itself, to deliver as EventBridge delivers.

Each client is for the account and region of the ARN a call is about: moto picks the
account from the ``x-moto-account-id`` header, so a target in another account of the
local endpoint is reached there. Clients are made once per (service, account, region)
and shared by every server thread (boto3 clients are thread-safe; making them is not).

Given the endpoint's WSGI application, a client hands each signed request to it in
this process instead of over a socket: the same request, answered by the same code
(the origin guard, the router, moto), at about half the cost of a loopback round trip.

An API destination's HTTP request is the one call that leaves moto: ``clients("http", url)``
is :func:`loopback_http`, which calls loopback addresses only and refuses every other host
without contacting it (a rehearsal must never reach a real webhook).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from cabructl.local.server import FAKE_CREDENTIAL
from cabructl.resources.arns import arn_parts
from cabructl.resources.targets.api_destination import HTTP_SERVICE

log = logging.getLogger(__name__)


class EndpointClients:
    """``clients(service, arn)``: a client of the local endpoint for the ARN's account and region."""

    def __init__(self, endpoint_url: str, default_region: str, default_account: str = "123456789012",
                 app: Any = None) -> None:
        self.endpoint_url = endpoint_url
        self.app = app
        self.default_region = default_region
        self.default_account = default_account
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], Any] = {}

    def use_endpoint(self, endpoint_url: str, app: Any = None) -> None:
        """Reach the targets through another endpoint of the process (the first one stopped)."""
        with self._lock:
            self.endpoint_url, self.app = endpoint_url, app
            self._clients.clear()

    def __call__(self, service: str, arn: str) -> Any:
        if service == HTTP_SERVICE:  # an API destination's request: the endpoint's own transport
            return loopback_http
        parts = arn_parts(arn)
        region = (parts.region if parts else "") or self.default_region
        account = (parts.account if parts else "") or self.default_account
        key = (service, account, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._client(service, account, region)
            return self._clients[key]

    def _client(self, service: str, account: str, region: str) -> Any:
        import boto3
        from botocore.config import Config

        client = boto3.session.Session().client(
            service, endpoint_url=self.endpoint_url, region_name=region,
            aws_access_key_id=FAKE_CREDENTIAL, aws_secret_access_key=FAKE_CREDENTIAL,
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
        )

        def in_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign.*.*", in_account)
        if self.app is not None:
            client.meta.events.register("before-send.*.*", in_process(self.app))
        return client


def in_process(app: Any) -> Any:
    """A botocore ``before-send`` handler answering the request with ``app`` (no socket)."""
    from urllib.parse import urlsplit

    from botocore.awsrequest import AWSResponse
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    def send(request: Any, **_: Any) -> Any:
        url = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else request.body
        environ = EnvironBuilder(path=url.path or "/", query_string=url.query, method=request.method,
                                 base_url=f"{url.scheme}://{url.netloc}", headers=[(name, _text(value)) for name, value in request.headers.items()],
                                 data=body or b"").get_environ()
        chunks, status, headers = run_wsgi_app(app, environ)
        return AWSResponse(request.url, int(status.split(" ", 1)[0]), dict(headers), _Raw(b"".join(chunks)))

    return send


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class _Raw:
    """What botocore reads a response body from."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Any:
        yield self.content


class LoopbackOnly(Exception):
    """An API destination whose host is not loopback: refused, never contacted."""

    delivery_error_code = "INVALID_PARAMETER"  # the same request would be refused again: not retried


def loopback_http(request: Any) -> int:
    """The local endpoint's HTTP transport for API destinations: loopback hosts only, no proxy (a proxy
    would carry the request off the machine), every request recorded (the auth header's value left out)."""
    import http.client
    from urllib.parse import urlsplit

    from cabructl.local.invocations import INVOCATIONS
    from cabructl.hosts import is_loopback

    url = urlsplit(request.url)
    record = {"kind": "api_destination", "target_arn": request.target_arn, "method": request.method, "url": request.url,
              "headers": {name: ("(secret)" if name in request.secret_headers else value) for name, value in request.headers.items()},
              "body": request.body}
    if url.scheme not in ("http", "https") or not is_loopback((url.hostname or "").lower()):
        log.warning("API destination %s refused: the local endpoint calls loopback addresses only, not %s",
                    request.target_arn, url.hostname)
        INVOCATIONS.record({**record, "status": "refused"})
        raise LoopbackOnly(f"refused {request.url}: the local endpoint calls loopback addresses only")
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname or "", url.port, timeout=5)
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    try:
        connection.request(request.method, path, body=request.body.encode() if request.method not in ("GET", "HEAD") else None,
                           headers=dict(request.headers))
        status = connection.getresponse().status
    except OSError as error:
        INVOCATIONS.record({**record, "status": "unreachable", "error": str(error)})
        if isinstance(error, TimeoutError):
            raise TimeoutError(f"{request.url}: {error}") from None
        raise ConnectionError(f"{request.url}: {error}") from None
    finally:
        connection.close()
    INVOCATIONS.record({**record, "status": status})
    return status
