"""Which hosts are this machine's loopback: the one rule every place that may send traffic asks.

The local endpoint binds there, delivers SNS and API-destination requests only there, and
``validate`` lets an ``http://`` API destination through only there. Only literal loopback
addresses and ``localhost`` count; names are never resolved (a resolver could point anywhere).
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (brackets of an IPv6 URL host allowed), in any case."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
