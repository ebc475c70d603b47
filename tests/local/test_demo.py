"""`cabructl demo`, the README's first command: the whole system works on a laptop, in seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import ROOT


def test_demo_delivers_every_event_where_its_rules_say(tmp_path: Path) -> None:
    """Run as a user would, with no AWS credentials or configuration at all, in its own process
    (the demo's endpoint must not share this process's moto state)."""
    result = subprocess.run([sys.executable, "-m", "cabructl", "demo", "--json"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "", "NO_COLOR": "1", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Second plan: No changes." in result.stdout
    report = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    assert report["ok"] and report["second_plan_empty"] and report["unexpected"] == []
    landed = {(row["event"], row["destination"]) for row in report["deliveries"]}
    assert ("monitor / CRITICAL issue", "SNS topic cabruca-segmentation-prod-critical-alerts") in landed
    assert ("tester / FAILED run", "SQS queue cabruca-segmentation-prod-test-investigation") in landed
    assert ("monitor / MEDIUM issue", "log group /aws/events/cabruca-segmentation-prod/agents") in landed
    assert all(row["arrived"] for row in report["deliveries"])
    assert len(report["deliveries"]) == 8  # six events, two of which fire two rules
    matched = {rule: counts["MatchedEvents"] for rule, counts in report["metrics"].items()}
    delivered = {rule: sum(row["rule"] == rule for row in report["deliveries"]) for rule in matched}
    assert matched == delivered and sum(matched.values()) == 8  # the local CloudWatch counted what arrived
    assert all(counts["Invocations"] == counts["MatchedEvents"] and counts["FailedInvocations"] == 0
               for counts in report["metrics"].values())
    assert "AWS/Events metrics in the local CloudWatch:" in result.stdout
