"""Keep web pages in the developer's browser away from the local endpoint.

The endpoint accepts any credentials, and moto's server enables CORS for every
origin (flask-cors), so without this guard any page open in the developer's
browser could read and change the local resources. AWS SDKs outside a browser
send no ``Origin`` header, so refusing browser origins costs them nothing.

:class:`OriginGuard` wraps the whole WSGI application:

* every ``Access-Control-*`` header the application sets is removed;
* a request whose ``Origin`` is not loopback (``http://127.0.0.1:*``,
  ``http://localhost:*``, ``http://[::1]:*``) gets 403, preflights included;
* a loopback origin is served like a request without one: no CORS headers, so
  the browser still hides the response from the page;
* origins opted in with ``--allow-origin`` get CORS headers for exactly that
  origin, and their preflights are answered here;
* while bound to loopback, a ``Host`` header naming anything but loopback gets
  403 too: that is a DNS-rebinding page, which the browser deems same-origin
  and sends without an ``Origin`` on GET.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from cabructl.hosts import is_loopback
from cabructl.local.server import LocalEndpointError

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]

_CORS_PREFIX = "access-control-"
_ORIGIN_SCHEMES = ("http", "https")
_ALLOWED_METHODS = "DELETE, GET, HEAD, PATCH, POST, PUT"
_PREFLIGHT_MAX_AGE_SECONDS = "600"
# Header names a browser lets a page read without Access-Control-Expose-Headers.
_SAFELISTED_RESPONSE_HEADERS = frozenset(
    {"cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"}
)
_TOKEN_LIST = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case, or None when the value is not an origin a browser sends."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _ORIGIN_SCHEMES or not parts.hostname or parts.username is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:  # "/" as copied from an address bar
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def is_loopback_origin(origin: str) -> bool:
    """A page served from this machine's loopback, e.g. ``http://localhost:3000``."""
    normalized = normalize_origin(origin)
    return normalized is not None and is_loopback(urlsplit(normalized).hostname or "")


def allowed_origins(origins: Iterable[str]) -> frozenset[str]:
    """The ``--allow-origin`` values, normalized; a value that is not one exact origin is an error."""
    accepted = set()
    for origin in origins:
        normalized = normalize_origin(origin)
        if normalized is None:
            raise LocalEndpointError(
                f"--allow-origin {origin!r} is not an origin",
                hint="give scheme, host and port exactly as the browser sends them, e.g. http://localhost:3000 (no path, no wildcard)",
            )
        accepted.add(normalized)
    return frozenset(accepted)


def is_loopback_host(host_header: str) -> bool:
    """The ``Host`` a client sends to a loopback endpoint: an address, ``localhost`` or ``*.localhost`` (RFC 6761)."""
    hostname = urlsplit(f"//{host_header}").hostname or ""
    return is_loopback(hostname) or hostname.endswith(".localhost")


class OriginGuard:
    """WSGI middleware: CORS for the opted-in origins only, 403 for every other browser origin."""

    def __init__(self, app: WsgiApp, origins: Iterable[str] = (), *, loopback_hosts_only: bool = True) -> None:
        self._app = app
        self._allowed = allowed_origins(origins)
        self._loopback_hosts_only = loopback_hosts_only

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if self._loopback_hosts_only and host and not is_loopback_host(host):
            return _refuse(environ, start_response, f"the local endpoint answers only requests addressed to loopback, not to {host}")
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return self._app(environ, _without_cors(start_response, None))
        normalized = normalize_origin(origin)
        if normalized is not None and normalized in self._allowed:
            if _is_preflight(environ):
                return _answer_preflight(environ, start_response, normalized)
            return self._app(environ, _without_cors(start_response, normalized))
        if is_loopback_origin(origin):
            return self._app(environ, _without_cors(start_response, None))
        return _refuse(environ, start_response, f"browser origin {origin} may not use the local endpoint "
                                                "(cabructl local serve --allow-origin ORIGIN admits one)")


def _is_preflight(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ


def _without_cors(start_response: Callable[..., Any], origin: str | None) -> Callable[..., Any]:
    """Drop the application's CORS headers (moto allows every origin); add ours for an allowed ``origin``."""

    def filtered(status: str, headers: Headers, exc_info: Any = None) -> Any:
        kept = [(name, value) for name, value in headers if not name.lower().startswith(_CORS_PREFIX)]
        if origin is not None:
            kept += _cors_headers(origin, kept)
        return start_response(status, kept, exc_info)

    return filtered


def _cors_headers(origin: str, response_headers: Headers) -> Headers:
    """Let the page read the whole response: AWS SDKs need x-amzn-requestid, ETag and the like."""
    exposed = sorted({name.lower() for name, _ in response_headers} - _SAFELISTED_RESPONSE_HEADERS - {"vary"})
    headers = [("Access-Control-Allow-Origin", origin)]
    if exposed:
        headers.append(("Access-Control-Expose-Headers", ", ".join(exposed)))
    if not any(name.lower() == "vary" and "origin" in value.lower() for name, value in response_headers):
        headers.append(("Vary", "Origin"))
    return headers


def _answer_preflight(environ: dict[str, Any], start_response: Callable[..., Any], origin: str) -> Iterable[bytes]:
    """204 with what the browser asked for: the origin is trusted, and SDK headers vary by version."""
    headers = [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Methods", _ALLOWED_METHODS),
        ("Access-Control-Max-Age", _PREFLIGHT_MAX_AGE_SECONDS),
        ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ("Content-Length", "0"),
    ]
    requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").strip()
    if requested and _TOKEN_LIST.match(requested):
        headers.append(("Access-Control-Allow-Headers", requested))
    if environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", "").lower() == "true":
        headers.append(("Access-Control-Allow-Private-Network", "true"))  # Chrome, for a public page reaching loopback
    start_response("204 No Content", headers)
    return [b""]


def _refuse(environ: dict[str, Any], start_response: Callable[..., Any], message: str) -> Iterable[bytes]:
    """403 in the protocol the caller speaks (JSON for X-Amz-Target/JSON bodies, else query-style XML)."""
    content_type = environ.get("CONTENT_TYPE", "")
    if "HTTP_X_AMZ_TARGET" in environ or "json" in content_type:
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        media_type = "application/x-amz-json-1.0"
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>{_xml_text(message)}</Message></Error></ErrorResponse>"
        ).encode()
        media_type = "application/xml"
    start_response("403 Forbidden", [("Content-Type", media_type), ("Content-Length", str(len(body)))])
    return [body]


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
