"""drift over a deployment's life (drifted, applied, clean), its bounded time, and its errors."""

from __future__ import annotations

import json
import threading
import time

import pytest

from cabructl.engine.drift import DriftTimeout, check_drift
from drift_support import Deploy, make_drift
from support import edit_topology


def test_apply_removes_the_drift_and_the_next_drift_exits_0(deploy: Deploy) -> None:
    """Every kind of drift make_drift makes, queue attributes included (the SQS handler resends
    the queue policy with any SetQueueAttributes, which moto would otherwise drop)."""
    deployment = deploy()
    make_drift(deployment)
    drifted = deployment.cli("drift", "--format", "json")
    assert drifted.exit_code == 2
    assert "sqs.queue.cicd-changes" in {item["address"] for item in json.loads(drifted.stdout)["drift"]["changed"]}

    applied = deployment.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    again = deployment.cli("drift")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == f"cabructl drift: OK no drift ({deployment.topology.owner_tag} sa-east-1)"


# -- bounded time, errors -----------------------------------------------------------------------

def test_timeout_abandons_the_work_and_its_aws_calls(deploy: Deploy) -> None:
    deployment = deploy(applied=False)
    aws = deployment.aws(latency=0.2)  # every call takes 0.2 s: the check needs several seconds
    started = time.monotonic()
    with pytest.raises(DriftTimeout, match="did not finish within 0.5 s; AWS calls still in flight were abandoned"):
        check_drift(deployment.engine(aws), timeout=0.5)
    assert time.monotonic() - started < 1.5
    worker = next(thread for thread in threading.enumerate() if thread.name == "cabructl-drift")
    worker.join(timeout=2)  # every request it would still send is refused: it ends promptly
    assert not worker.is_alive()
    assert aws.calls.writes == 0


def test_cli_timeout_exits_1_with_an_error_summary_line(deploy: Deploy) -> None:
    deployment = deploy(applied=False)
    result = deployment.cli("drift", "--timeout", "0.001")
    assert result.exit_code == 1
    assert result.stdout.strip() == f"cabructl drift: ERROR drift-timeout ({deployment.topology.owner_tag} sa-east-1); details on stderr"
    assert "error[drift-timeout]: the drift check did not finish within 0.001 s" in result.stderr


def test_an_invalid_topology_is_an_error_not_drift(deploy: Deploy) -> None:
    deployment = deploy(applied=False)
    edit_topology(deployment.file, "retention: 14d", "retention: fortnight")
    result = deployment.cli("drift")
    assert result.exit_code == 1
    assert result.stdout.strip() == "cabructl drift: ERROR invalid-topology; details on stderr"
    assert "queues.eventbridge-dlq.retention" in result.stderr
