"""Browser pages cannot use the local endpoint unless their origin is allowed by name (over real HTTP)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Iterator

import pytest

from cabructl.local import LocalAws, LocalEndpointError
from cabructl.local.origins import is_loopback_host, is_loopback_origin, normalize_origin

LIST_QUEUES = b"Action=ListQueues&Version=2012-11-05"
# Signed like boto3's, so moto routes it to SQS; the signature itself is not checked.
SQS_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/sa-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
}
CONSOLE = "http://localhost:3000"


def call(url: str, method: str = "POST", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers and body, for 4xx as well as 2xx."""
    request = urllib.request.Request(url + "/", data=LIST_QUEUES if method == "POST" else None, method=method,
                                     headers={**SQS_HEADERS, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def preflight(url: str, origin: str) -> tuple[int, dict[str, str], bytes]:
    return call(url, "OPTIONS", {"Origin": origin, "Access-Control-Request-Method": "POST",
                                 "Access-Control-Request-Headers": "authorization,x-amz-date,content-type"})


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


@pytest.fixture(scope="module")
def console_aws() -> Iterator[LocalAws]:
    with LocalAws(port=0, region="sa-east-1", allowed_origins=[CONSOLE, "http://127.0.0.1:8081/"]) as aws:
        yield aws


def test_a_cross_origin_post_is_refused_without_cors_headers(local_aws: LocalAws) -> None:
    status, headers, body = call(local_aws.endpoint_url, headers={"Origin": "http://evil.example"})
    assert status == 403
    assert cors_headers(headers) == {}
    assert b"AccessDenied" in body and b"http://evil.example" in body
    assert b"ListQueuesResponse" not in body


def test_a_cross_origin_preflight_is_refused(local_aws: LocalAws) -> None:
    status, headers, _ = preflight(local_aws.endpoint_url, "http://evil.example")
    assert status == 403
    assert cors_headers(headers) == {}


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1.evil.example:4590", "http://localhost.evil.example", "file://"])
def test_origins_that_only_look_local_are_refused(local_aws: LocalAws, origin: str) -> None:
    assert call(local_aws.endpoint_url, headers={"Origin": origin})[0] == 403


def test_a_json_protocol_request_is_refused_in_json(local_aws: LocalAws) -> None:
    status, _, body = call(local_aws.endpoint_url, headers={"Origin": "http://evil.example", "X-Amz-Target": "AmazonSQS.ListQueues",
                                                            "Content-Type": "application/x-amz-json-1.0"})
    assert status == 403
    assert json.loads(body)["__type"] == "AccessDeniedException"


def test_a_request_without_origin_works_and_carries_no_cors_headers(local_aws: LocalAws) -> None:
    status, headers, body = call(local_aws.endpoint_url)
    assert status == 200 and b"ListQueuesResponse" in body
    assert cors_headers(headers) == {}, "moto's flask-cors headers are stripped"


@pytest.mark.parametrize("origin", ["http://127.0.0.1:5173", "http://localhost:3000", "http://[::1]:8080", "http://localhost"])
def test_a_loopback_origin_works_but_gets_no_cors_headers(local_aws: LocalAws, origin: str) -> None:
    status, headers, body = call(local_aws.endpoint_url, headers={"Origin": origin})
    assert status == 200 and b"ListQueuesResponse" in body
    assert cors_headers(headers) == {}


def test_a_loopback_origin_preflight_gets_no_cors_headers(local_aws: LocalAws) -> None:
    assert cors_headers(preflight(local_aws.endpoint_url, "http://localhost:3000")[1]) == {}


def test_a_request_addressed_to_another_host_is_refused(local_aws: LocalAws) -> None:
    """A DNS-rebinding page is same-origin to the browser and sends no Origin on GET; its Host gives it away."""
    status, headers, _ = call(local_aws.endpoint_url, headers={"Host": f"rebind.example:{local_aws.port}"})
    assert status == 403 and cors_headers(headers) == {}
    assert call(local_aws.endpoint_url, headers={"Host": f"localhost:{local_aws.port}"})[0] == 200


def test_an_allowed_origin_gets_cors_headers_for_exactly_itself(console_aws: LocalAws) -> None:
    status, headers, body = call(console_aws.endpoint_url, headers={"Origin": CONSOLE})
    assert status == 200 and b"ListQueuesResponse" in body
    assert headers["access-control-allow-origin"] == CONSOLE
    assert "x-amzn-requestid" in headers["access-control-expose-headers"]
    assert "origin" in headers["vary"].lower()


def test_an_allowed_origin_gets_its_preflight_answered(console_aws: LocalAws) -> None:
    status, headers, _ = preflight(console_aws.endpoint_url, CONSOLE)
    assert status == 204
    assert headers["access-control-allow-origin"] == CONSOLE
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "authorization,x-amz-date,content-type"


def test_allowing_one_origin_admits_no_other(console_aws: LocalAws) -> None:
    assert call(console_aws.endpoint_url, headers={"Origin": "http://evil.example"})[0] == 403
    assert preflight(console_aws.endpoint_url, "http://evil.example")[0] == 403
    status, headers, _ = call(console_aws.endpoint_url, headers={"Origin": "http://localhost:3001"})
    assert status == 200 and cors_headers(headers) == {}, "another loopback port is served, but not to the page"
    assert call(console_aws.endpoint_url, headers={"Origin": "http://127.0.0.1:8081"})[1]["access-control-allow-origin"] == "http://127.0.0.1:8081"


@pytest.mark.parametrize("origin", ["*", "localhost:3000", "http://localhost:3000/console", "null", ""])
def test_an_allowed_origin_must_be_one_exact_origin(origin: str) -> None:
    with pytest.raises(LocalEndpointError, match="not an origin"):
        LocalAws(port=0, allowed_origins=[origin])


def test_origin_helpers() -> None:
    assert normalize_origin("HTTP://LocalHost:3000") == "http://localhost:3000"
    assert normalize_origin("http://[::1]:80") == "http://[::1]:80"
    assert normalize_origin("http://user@localhost:3000") is None
    assert is_loopback_origin("https://127.0.0.2:8443") and not is_loopback_origin("http://192.0.2.1:3000")
    assert is_loopback_host("[::1]:4590") and is_loopback_host("bucket.localhost:4590") and not is_loopback_host("example.com")
