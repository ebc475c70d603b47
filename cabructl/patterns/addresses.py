"""IP address reading shared by the ``cidr`` parser and matcher.

One function so that a pattern's network and an event's address are read by the
same rules; :mod:`ipaddress` is imported on first use because most patterns never
mention an address and ``import cabructl.patterns`` must stay cheap.
"""

from __future__ import annotations

from functools import lru_cache

IP_WIDTH = {4: 32, 6: 128}


@lru_cache(maxsize=4096)
def parse_ip(text: str) -> tuple[int, int] | None:
    """``(version, integer)`` for an IPv4/IPv6 literal, or None for anything else.

    Cached because events repeat the same few source addresses; scoped addresses
    (``fe80::1%eth0``) are refused as EventBridge has no notion of an interface.
    """
    if "%" in text or not text.isascii():
        return None
    import ipaddress

    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address)
