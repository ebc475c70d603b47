"""LocalAws: loopback only, free ports, fast start, several per process."""

from __future__ import annotations

import socket
import time
from typing import Any, Callable

import boto3
import pytest

from cabructl.local import LocalAws, LocalEndpointError
from cabructl.hosts import is_loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com", ""])
def test_refuses_to_bind_a_non_loopback_host_by_default(host: str) -> None:
    with pytest.raises(LocalEndpointError, match="loopback"):
        LocalAws(host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_accepted(host: str) -> None:
    assert is_loopback(host)


def test_a_remote_host_needs_an_explicit_opt_in() -> None:
    aws = LocalAws(host="0.0.0.0", allow_remote=True)  # constructed only: tests never listen beyond loopback
    assert not aws.running


def test_port_zero_reports_the_real_port_and_the_client_environment(local_aws: LocalAws) -> None:
    assert local_aws.port > 0
    assert local_aws.endpoint_url == f"http://127.0.0.1:{local_aws.port}"
    assert local_aws.env() == {
        "AWS_ENDPOINT_URL": local_aws.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": local_aws.region,
        "AWS_DEFAULT_REGION": local_aws.region,
    }


def test_a_second_endpoint_starts_fast_shares_state_and_frees_its_port(aws_client: Callable[[str], Any], unique: Callable[[str], str]) -> None:
    queue = unique("shared")
    aws_client("sqs").create_queue(QueueName=queue)
    started = time.perf_counter()
    with LocalAws(port=0, region="sa-east-1") as second:
        startup = time.perf_counter() - started
        urls = boto3.client("sqs", **second.client_kwargs()).list_queues(QueueNamePrefix=queue).get("QueueUrls", [])
        port = second.port
    assert startup < 0.5
    assert [url.rsplit("/", 1)[1] for url in urls] == [queue]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def test_a_taken_port_is_a_clear_error(local_aws: LocalAws) -> None:
    with pytest.raises(LocalEndpointError, match=f"cannot listen on 127.0.0.1:{local_aws.port}"):
        LocalAws(port=local_aws.port).start()


def test_start_and_stop_are_idempotent() -> None:
    aws = LocalAws(port=0)
    assert aws.start() is aws.start()
    aws.stop()
    aws.stop()
    assert not aws.running
