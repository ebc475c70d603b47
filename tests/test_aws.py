"""The one boto3 boundary: boto3's configuration chain works as users expect; flags only override it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from cabructl.aws import Aws, AwsSettings, is_write
from cabructl.cli.options import aws_settings


def test_region_comes_from_the_chain_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-1")
    assert Aws(AwsSettings()).region == "us-west-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # the cross-SDK variable, which botocore alone ignores
    aws = Aws(AwsSettings())
    assert aws.region == "eu-west-1" and aws.client("sqs").meta.region_name == "eu-west-1"
    assert Aws(AwsSettings(region="sa-east-1")).region == "sa-east-1"


def test_an_exported_region_that_loses_to_the_topology_is_noted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert aws_settings(None, None, None, False, "sa-east-1").region == "sa-east-1"
    assert "the topology's region sa-east-1 applies; the exported us-east-1 does not" in capsys.readouterr().err


def test_profile_from_a_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile cabruca]\nregion = ap-southeast-2\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_PROFILE", "cabruca")
    assert Aws(AwsSettings()).region == "ap-southeast-2"
    assert Aws(AwsSettings(profile="cabruca")).region == "ap-southeast-2"


def test_service_specific_endpoint_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:2")
    aws = Aws(AwsSettings(region="sa-east-1"))
    assert aws.client("sqs").meta.endpoint_url == "http://127.0.0.1:2"
    assert aws.client("events").meta.endpoint_url == "http://127.0.0.1:1"


def test_endpoint_flag_overrides_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:2")
    aws = Aws(aws_settings(None, None, "http://127.0.0.1:3", False, "sa-east-1"))
    assert aws.client("sqs").meta.endpoint_url == "http://127.0.0.1:3"
    assert aws.region == "sa-east-1"


def test_region_flag_beats_the_topology_region() -> None:
    assert aws_settings("us-west-2", None, None, False, "sa-east-1").region == "us-west-2"
    assert aws_settings(None, None, None, False, "sa-east-1").region == "sa-east-1"


def test_local_without_a_running_endpoint_says_how_to_start_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cabructl.errors import CabructlError

    monkeypatch.setenv("CABRUCTL_LOCAL_STATE", str(tmp_path / "none.json"))
    with pytest.raises(CabructlError) as error:
        aws_settings(None, None, None, True, "sa-east-1")
    assert "cabructl local serve" in (error.value.hint or "")


def test_clients_are_shared_across_threads() -> None:
    aws = Aws(AwsSettings(region="sa-east-1"))
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(aws.client("sqs"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in seen}) == 1


def test_memo_computes_once_even_when_asked_concurrently() -> None:
    aws = Aws(AwsSettings(region="sa-east-1"))
    computed = []

    def slow() -> str:
        computed.append(1)
        time.sleep(0.05)
        return "listed"

    results = []
    threads = [threading.Thread(target=lambda: results.append(aws.memo("key", slow))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["listed"] * 6 and computed == [1]
    aws.forget()
    assert aws.memo("key", lambda: "fresh") == "fresh"


@pytest.mark.parametrize("operation,write", [
    ("ListRules", False), ("DescribeEventBus", False), ("GetQueueAttributes", False), ("ReceiveMessage", False),
    ("PutRule", True), ("CreateQueue", True), ("TagResource", True), ("DeleteSchema", True), ("SetQueueAttributes", True),
])
def test_reads_and_writes_are_told_apart(operation: str, write: bool) -> None:
    assert is_write(operation) is write


def test_local_credentials_stay_in_the_boundary_and_ignore_the_shell_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """--local gives its own session the endpoint's fake credentials; the process environment is not touched,
    and an exported AWS_PROFILE that does not exist does not break it."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    before = dict(os.environ)
    settings = aws_settings(None, None, "http://127.0.0.1:9", True, "sa-east-1")
    client = Aws(settings).client("sqs")
    assert client._request_signer._credentials.access_key == "testing"
    assert dict(os.environ) == before


class _AwsError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": code}}


@pytest.mark.parametrize(
    ("code", "propagating", "calls"),
    [
        pytest.param("ConcurrentModificationException", False, 3, id="in-flight-change-retried"),
        pytest.param("ResourceConflictException", False, 1, id="conflict-never-retried"),
        pytest.param("ResourceNotFoundException", False, 1, id="not-found-is-an-answer"),
        pytest.param("ResourceNotFoundException", True, 3, id="not-found-retried-while-a-new-parent-propagates"),
    ],
)
def test_settle_retries_only_what_aws_documents_as_transient(code: str, propagating: bool, calls: int) -> None:
    made: list[int] = []

    def call() -> str:
        made.append(1)
        if len(made) < 3:
            raise _AwsError(code)
        return "done"

    aws = Aws(AwsSettings(region="sa-east-1"))
    if calls == 1:
        with pytest.raises(_AwsError):
            aws.settle(call, propagating=propagating, base_delay=0.001)
    else:
        assert aws.settle(call, propagating=propagating, base_delay=0.001) == "done"
    assert len(made) == calls
