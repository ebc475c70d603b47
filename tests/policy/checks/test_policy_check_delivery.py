"""DLV001 (retry policy and dead-letter queue) and DLV002 (the derived policies let EventBridge deliver)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import TOPOLOGY, edit_topology, line_of

PRODUCT_TARGET = "      - id: product-queue\n        queue: product-requests\n        retry: {attempts: 3, max_age: 1h}\n        dead_letter: eventbridge-dlq\n"


def test_dlv001_target_without_retry_or_dead_letter(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, PRODUCT_TARGET, "      - id: product-queue\n        queue: product-requests\n")
    findings = pick(evaluate(topology_copy), "DLV001")
    assert {finding.line for finding in findings} == {line_of(topology_copy, "id: product-queue")}
    messages = {finding.message for finding in findings}
    assert "target product-queue of rule feature-request-routing has no retry policy; EventBridge would retry 185 times over 1d" in messages
    assert "target product-queue of rule feature-request-routing has no dead-letter queue: events it cannot deliver are lost" in messages


def test_dlv002_real_topology_every_target_can_receive(evaluate, pick) -> None:
    assert pick(evaluate(TOPOLOGY), "DLV002") == []


def test_an_aws_managed_key_is_refused_by_validate_before_any_check(topology_copy: Path) -> None:
    """EventBridge can never use an AWS-managed key: the topology is invalid (no policy check runs), said once at the queue's `kms_key`."""
    from cabructl.topology import check_topology

    edit_topology(topology_copy, "  product-requests:\n    retention: 14d\n    visibility_timeout: 5m\n    receive_wait: 20s\n    encryption: sqs\n",
                  "  product-requests:\n    retention: 14d\n    visibility_timeout: 5m\n    receive_wait: 20s\n    encryption: kms\n    kms_key: alias/aws/sqs\n")
    [refused] = [d for d in check_topology(str(topology_copy))[1] if d.reference == "aws-managed-key"]
    assert refused.line == line_of(topology_copy, "kms_key: alias/aws/sqs")
    assert "SQS queue product-requests is encrypted with alias/aws/sqs, whose key policy EventBridge cannot use" in refused.message


def test_dlv002_missing_queue_policy(evaluate, pick, topology_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the engine to derive no queue policy, neither queue targets nor dead-letter queues could receive."""
    monkeypatch.setattr("cabructl.resources.sqs_queue.delivery_policy", lambda *args, **kwargs: None)
    findings = pick(evaluate(topology_copy), "DLV002")
    product = [finding for finding in findings if finding.path[:4] == ("rules", "feature-request-routing", "targets", 0)]
    assert {finding.line for finding in product} == {line_of(topology_copy, "queue: product-requests"),
                                                     line_of(topology_copy, "dead_letter: eventbridge-dlq", occurrence=2)}
    assert any("the sqs.queue policy of product-requests does not let rule feature-request-routing sqs:SendMessage: "
               "EventBridge cannot deliver to target product-queue" == finding.message for finding in product)
    # The SNS topic and the logs resource policy are untouched: those targets still receive.
    assert not [f for f in findings if f.path[-1] in ("topic", "log_group")]
