"""SNS http(s) subscriptions on the local endpoint reach loopback only; nothing here sends beyond it."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest
from botocore.exceptions import ClientError

from cabructl.local import LocalAws
from cabructl.local.sns_loopback import delivers_locally

DOCUMENTATION_HOOK = "http://192.0.2.1/hook"  # TEST-NET-1: never routed, and refused before any attempt


@pytest.fixture
def sns(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("sns")


@pytest.fixture
def topic(sns: Any, unique: Callable[[str], str]) -> str:
    return str(sns.create_topic(Name=unique("hooks"))["TopicArn"])


@pytest.fixture
def webhook() -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    """A subscriber on 127.0.0.1 that queues the JSON bodies it is sent."""
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            received.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("protocol", ["http", "https"])
def test_a_non_loopback_subscription_is_refused_at_subscribe(sns: Any, topic: str, protocol: str) -> None:
    with pytest.raises(ClientError) as refused:
        sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=DOCUMENTATION_HOOK.replace("http", protocol, 1))
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert "the local endpoint only delivers to loopback addresses" in refused.value.response["Error"]["Message"]
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_a_loopback_subscription_is_accepted_and_delivered(sns: Any, topic: str,
                                                            webhook: tuple[str, queue.Queue[dict[str, Any]]]) -> None:
    url, received = webhook
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url, ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert arn.startswith(topic)
    sns.publish(TopicArn=topic, Message="disk full")
    notification = received.get(timeout=10)
    assert (notification["Type"], notification["Message"], notification["TopicArn"]) == ("Notification", "disk full", topic)


def test_a_stored_non_loopback_subscription_is_never_delivered(local_aws: LocalAws, sns: Any, topic: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: a subscription that reached moto's store without Subscribe is skipped at publish."""
    import moto.sns.models as sns_models
    from moto.sns import sns_backends

    posts: list[str] = []
    monkeypatch.setattr(sns_models.requests, "post", lambda url, **_: posts.append(url))
    backend = sns_backends["123456789012"]["sa-east-1"]
    subscription = sns_models.Subscription("123456789012", backend.get_topic(topic), DOCUMENTATION_HOOK, "http")
    backend.subscriptions[subscription.arn] = subscription
    try:
        sns.publish(TopicArn=topic, Message="must stay here")
    finally:
        backend.subscriptions.pop(subscription.arn)
    assert posts == []


@pytest.mark.parametrize("endpoint", [
    "http://192.0.2.1/hook", "https://example.com/hook", "http://localhost@192.0.2.1/", "http://127.0.0.1\\@192.0.2.1/",
    "http://127.0.0.1.nip.io/", "http://[::ffff:c000:201]/", "http:///hook", "http://127.0.0.1:99999/",
])
def test_urls_that_leave_the_machine_are_not_local(endpoint: str) -> None:
    assert not delivers_locally("http", endpoint)


@pytest.mark.parametrize("protocol, endpoint", [
    ("http", "http://127.0.0.1:8080/hook"), ("https", "https://localhost/hook"), ("HTTP", "http://[::1]:9000/"),
    ("sqs", "arn:aws:sqs:sa-east-1:123456789012:q"), ("email", "dev@example.com"),
])
def test_loopback_urls_and_other_protocols_are_local(protocol: str, endpoint: str) -> None:
    assert delivers_locally(protocol, endpoint)
