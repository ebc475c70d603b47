"""boto3 clients the local endpoint uses on itself, to deliver as EventBridge delivers.

Each client is for the account and region of the ARN a call is about: moto picks the
account from the ``x-moto-account-id`` header, so a target in another account of the
local endpoint is reached there. Clients are made once per (service, account, region)
and shared by every server thread (boto3 clients are thread-safe; making them is not).

Given the endpoint's WSGI application, a client hands each signed request to it in
this process instead of over a socket: the same request, answered by the same code
(the origin guard, the router, moto), at about half the cost of a loopback round trip.
"""

from __future__ import annotations

import threading
from typing import Any

from cabructl.local.server import FAKE_CREDENTIAL
from cabructl.resources.arns import arn_parts


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
