"""SNS http/https subscriptions deliver only to loopback URLs.

moto confirms an http(s) subscription on the spot and then POSTs every
notification to its URL, so a single ``Subscribe`` call would turn the local
endpoint into a client of any host on the network or the internet, with the
developer's machine as the sender. Local subscribers (a webhook under test on
``http://127.0.0.1:8080/hook``) are what a local endpoint is for; others are
refused.

:func:`install_sns_loopback_only`, applied once per process when an endpoint
starts (and safe to call again), wraps two methods of moto's SNS models:

* ``SNSBackend.subscribe`` refuses a non-loopback http(s) endpoint with
  ``InvalidParameter`` before anything is stored, so the caller learns at once;
* ``Subscription.publish`` skips (and logs) delivery to one, in case a
  subscription reached moto's store some other way.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable
from urllib.parse import urlsplit

from cabructl.hosts import is_loopback

log = logging.getLogger(__name__)

_PATCHED = "_cabructl_sns_loopback_only"
_HTTP_PROTOCOLS = ("http", "https")
REFUSAL = "the local endpoint only delivers to loopback addresses"


def install_sns_loopback_only() -> None:
    """Make moto's SNS refuse and never deliver to non-loopback http(s) subscribers; idempotent."""
    from moto.sns.models import SNSBackend, Subscription

    if not getattr(SNSBackend.subscribe, _PATCHED, False):
        SNSBackend.subscribe = _checked_subscribe(SNSBackend.subscribe)
    if not getattr(Subscription.publish, _PATCHED, False):
        Subscription.publish = _checked_publish(Subscription.publish)


def delivers_locally(protocol: str, endpoint: str) -> bool:
    """True unless an http(s) endpoint names a host that is not loopback.

    Both the standard library's and urllib3's (what ``requests`` sends with) URL
    parsers must see loopback: they disagree on odd URLs such as
    ``http://127.0.0.1\\@192.0.2.1/``, and either reading could be the one used.
    """
    if protocol.lower() not in _HTTP_PROTOCOLS:
        return True
    from urllib3.util import parse_url

    try:
        hosts = (urlsplit(endpoint).hostname or "", parse_url(endpoint).host or "")
    except ValueError:  # urllib3's LocationParseError is a ValueError
        return False
    return all(is_loopback(host.lower()) for host in hosts)


def _checked_subscribe(moto_subscribe: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(moto_subscribe)
    def subscribe(backend: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
        if not delivers_locally(protocol, endpoint):
            from moto.sns.exceptions import SNSInvalidParameter

            raise SNSInvalidParameter(f"Invalid parameter: Endpoint Reason: {REFUSAL}; {endpoint} is not one")
        return moto_subscribe(backend, topic_arn, endpoint, protocol)

    setattr(subscribe, _PATCHED, True)
    return subscribe


def _checked_publish(moto_publish: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(moto_publish)
    def publish(subscription: Any, *args: Any, **kwargs: Any) -> None:
        if not delivers_locally(subscription.protocol, subscription.endpoint):
            log.warning("SNS notification not delivered to %s: %s", subscription.endpoint, REFUSAL)
            return
        moto_publish(subscription, *args, **kwargs)

    setattr(publish, _PATCHED, True)
    return publish
