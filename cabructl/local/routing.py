"""Which implementation answers a request: cabructl's own services, or moto.

moto's dispatcher picks a backend from the SigV4 credential scope
(``Credential=AKID/20250101/sa-east-1/schemas/aws4_request``). We read the same
field, so a boto3 client pointed at the one endpoint reaches cabructl's
implementation for the services moto lacks and moto for everything else, with no
client-side configuration per service.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from werkzeug.wrappers import Request

from cabructl.local.eventbus import serving
from cabructl.local.restjson import RequestContext

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
DEFAULT_REGION = "us-east-1"
CONTROL_PREFIX = "/_cabructl/"  # the endpoint's own control calls (cabructl.local.failures)


@dataclass(frozen=True)
class CredentialScope:
    """The parts of a SigV4 ``Authorization`` header that say who calls which service where."""

    access_key: str
    region: str
    service: str


def credential_scope(environ: Mapping[str, Any]) -> CredentialScope | None:
    """None for unsigned or non-SigV4 requests, which then go to moto (it has fallbacks for those)."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return CredentialScope(*found.groups()) if found else None


def request_context(request: Request) -> RequestContext:
    """The account and region moto would assign the same request, so ARNs agree across services.

    Mirrors moto's ``BaseResponse.get_current_account``: ``MOTO_ACCOUNT_ID``, then the
    ``x-moto-account-id`` header, then the account owning the access key (default 123456789012).
    """
    scope = credential_scope(request.environ)
    region = scope.region if scope else DEFAULT_REGION
    if "MOTO_ACCOUNT_ID" in os.environ:
        return RequestContext(os.environ["MOTO_ACCOUNT_ID"], region)
    if "x-moto-account-id" in request.headers:
        return RequestContext(request.headers["x-moto-account-id"], region)
    from moto.iam.models import get_account_id_from

    return RequestContext(get_account_id_from(scope.access_key if scope else ""), region)


class ServiceRouter:
    """A WSGI app sending each request to the app registered for its signing service, else to moto."""

    def __init__(self, fallback: WsgiApp, services: Mapping[str, WsgiApp], control: WsgiApp | None = None) -> None:
        self._fallback = fallback
        self._services = dict(services)
        self._control = control

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._control is not None and environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        scope = credential_scope(environ)
        app = self._services.get(scope.service.lower(), self._fallback) if scope else self._fallback
        with serving():  # moto's answer is complete when the app returns: the whole call is inside
            return app(environ, start_response)
