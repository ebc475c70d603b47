"""One local endpoint for the whole session, reached over real HTTP by the real boto3 client.

moto's state is process-global and outlives each test, so tests name what they
create with the ``unique`` fixture instead of relying on a clean slate.
"""

from __future__ import annotations

import http.server
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.config import Config

from cabructl.local import LocalAws
from tests.local.test_local_delivery import Clients

REGION = "sa-east-1"
# Fail fast: a retried 5xx would only hide a bug in the endpoint and slow the run.
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    with LocalAws(port=0, region=REGION) as aws:
        yield aws


@pytest.fixture(scope="session")
def aws_client(local_aws: LocalAws) -> Callable[..., Any]:
    def client(service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            endpoint_url=local_aws.endpoint_url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=NO_RETRIES,
        )

    return client


@pytest.fixture
def schemas(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("schemas")


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A fresh resource name per call."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def aws(aws_client: Callable[[str], Any]) -> Clients:
    """Clients of the services most delivery tests touch (modules with other needs define their own)."""
    return Clients(*(aws_client(service) for service in ("events", "sns", "sqs", "logs")))


@pytest.fixture
def bus(aws: Clients, unique: Callable[[str], str]) -> str:
    """A fresh event bus."""
    name = unique("bus")
    aws.events.create_event_bus(Name=name)
    return name


@dataclass
class Hooked:
    """A loopback HTTP server of the test's own, and the requests it received."""

    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hooked]:
    """An HTTP endpoint on 127.0.0.1 that records each request (method, path, headers, body) and answers 200."""
    hooked = Hooked("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            hooked.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hooked.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield hooked
    server.shutdown()
    server.server_close()
