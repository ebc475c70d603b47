"""API destination checks: a URL EventBridge will accept, said at ``validate`` rather than at apply.

EventBridge invokes API destinations over HTTPS only, so an ``http://`` URL is refused, and
a URL without a host is no endpoint at all. An ``http://`` URL on a loopback host
(127.0.0.0/8, ::1, ``localhost``) is the one exception, as a warning: it rehearses a topology
against a local endpoint (``cabructl local serve``), and AWS itself will still refuse it.
"""

from __future__ import annotations

from typing import Iterator, Optional, Union
from urllib.parse import urlsplit

from cabructl.diagnostics import Path
from cabructl.hosts import is_loopback
from cabructl.topology.model import Topology

WARNING = "warning"  # the severity of a finding that does not make the topology invalid
Finding = tuple[Path, str, str, Optional[str]]
Warned = tuple[Path, str, str, Optional[str], str]  # a finding and its severity


def check_api_destination_urls(topology: Topology) -> Iterator[Union[Finding, Warned]]:
    """Each ``api_destinations.*.url``: https with a host; http only on loopback, with a warning."""
    for destination in topology.api_destinations.values():
        where = destination.path + ("url",)
        try:
            parts = urlsplit(destination.url)
            host = parts.hostname
        except ValueError as error:  # an unbalanced [ in the host
            yield (where, "invalid-url", f"{destination.url!r} is no URL: {error}", None)
            continue
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            yield (where, "insecure-url", f"{destination.url!r} is not an https URL", "API destinations are invoked over HTTPS only")
        elif not host:
            yield (where, "url-without-host", f"{destination.url!r} names no host", "write it as https://HOST/PATH")
        elif scheme == "http" and not is_loopback(host):
            yield (where, "insecure-url", f"{destination.url!r} is http, not https",
                   "EventBridge invokes API destinations over HTTPS only; http is accepted for a loopback host only")
        elif scheme == "http":
            yield (where, "loopback-url", f"{destination.url!r} is http on a loopback host: fine for a local endpoint, "
                   "but AWS will refuse it", "use an https URL for AWS", WARNING)
