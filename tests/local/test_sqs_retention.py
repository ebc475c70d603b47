"""The local endpoint's receive still honours a queue's retention period, read the direct way."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from cabructl.local.sqs_retention import install_direct_retention_check


def test_a_message_past_the_queue_retention_is_never_received(monkeypatch: Any) -> None:
    install_direct_retention_check()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        url = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="old")
        import cabructl.local.sqs_retention as retention

        later = retention.unix_time() + 61
        monkeypatch.setattr(retention, "unix_time", lambda: later)
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
        monkeypatch.undo()
        sqs.send_message(QueueUrl=url, MessageBody="new")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url).get("Messages", [])] == ["new"]
        from moto.sqs.models import SQSBackend
        assert SQSBackend.is_message_valid_based_on_retention_period.__module__ == retention.__name__
