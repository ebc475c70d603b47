"""`cabructl policy check`: offline, every format, exit codes; and the apply gate's API."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.output.policy import render_paragraph
from cabructl.policy import PolicyReport, evaluate_policy
from cabructl.topology import load_topology
from support import TOPOLOGY, edit_topology, line_of


def policy_check(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(path), *args])
    return result.exit_code, result.output


def test_text_shows_the_cost_table_and_findings_with_lines() -> None:
    code, output = policy_check(TOPOLOGY)
    assert code == 0, output
    assert "monitor       1,500,000" in output and "critical-issues" in output
    assert "projected month: worst case 6.70 USD (67% of budget), expected 5.12 USD (51% of budget)" in output
    assert "the budget pays for 6,097,561 events a month, 203,252 a day, 8,469 an hour" in output
    assert f"{TOPOLOGY}:{line_of(TOPOLOGY, 'per_day: 5000, per_hour: 200')}:" in output
    assert "policy check: passed (0 errors, 2 warnings)" in output  # VOL002, and COST004: the backbone is over 10 USD


def test_json_contract() -> None:
    code, output = policy_check(TOPOLOGY, "--format", "json")
    data = json.loads(output)
    assert code == 0
    assert data["budget_usd"] == 10
    assert data["projected_monthly_usd"]["worst_case"] == pytest.approx(6.702)
    assert data["projected_monthly_usd"]["expected"] == pytest.approx(5.12184)
    assert set(data["per_agent"]) == {"monitor", "product", "developer", "tester"}
    assert data["per_rule"]["critical-issues"]["matched_events"]["expected"] == pytest.approx(225_000)
    assert data["days_per_month"] == 30 and data["pricing"]["name"] == "seed"
    for finding in data["findings"]:
        assert {"id", "severity", "message", "file", "line"} <= set(finding)


def test_pricing_flag_switches_profile() -> None:
    data = json.loads(policy_check(TOPOLOGY, "--format", "json", "--pricing", "aws")[1])
    assert data["pricing"]["name"] == "aws"
    assert data["per_rule"]["critical-issues"]["cost_usd"]["worst_case"] == 0


HOURLY_ABOVE_DAILY = ("volume: {per_day: 5000, per_hour: 200}", "volume: {per_day: 5000, per_hour: 6000}")


def test_github_annotations(topology_copy: Path) -> None:
    edit_topology(topology_copy, *HOURLY_ABOVE_DAILY)
    code, output = policy_check(topology_copy, "--format", "github")
    assert code == 1
    line = line_of(topology_copy, "per_hour: 6000")
    assert f"::error file={topology_copy},line={line},col=" in output
    assert ",title=VOL001::agent product's hourly cap 6,000 is above its daily cap 5,000" in output
    assert "::warning file=" in output and "title=COST003::the agents may publish 10,200 events an hour" in output


def test_markdown_for_a_pull_request() -> None:
    code, output = policy_check(TOPOLOGY, "--format", "markdown")
    assert code == 0
    assert output.startswith("### cabructl policy check: passed — cabruca-segmentation/prod")
    assert "| agent | events/month |" in output and "| monitor | 1,500,000 |" in output
    assert "- **warning** `VOL002`" in output


def test_error_exits_one(topology_copy: Path) -> None:
    edit_topology(topology_copy, *HOURLY_ABOVE_DAILY)
    code, output = policy_check(topology_copy)
    assert code == 1 and "policy check: failed (1 error, 2 warnings)" in output


def test_environment(topology_copy: Path) -> None:
    data = json.loads(policy_check(topology_copy, "--env", "dev", "--format", "json")[1])
    assert data["environment"] == "dev" and data["budget_usd"] == 5


def test_invalid_topology_is_an_error(topology_copy: Path) -> None:
    edit_topology(topology_copy, "per_hour: 2100}", "per_hour: lots}")
    code, output = policy_check(topology_copy)
    assert code == 1 and f":{line_of(topology_copy, 'per_hour: lots')}:" in output


def test_no_aws_call_is_possible(monkeypatch: pytest.MonkeyPatch) -> None:
    """With boto3 and botocore unimportable, the check still runs: it is offline by construction."""
    for name in [name for name in sys.modules if name.split(".")[0] in ("boto3", "botocore")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.setitem(sys.modules, "botocore", None)
    code, output = policy_check(TOPOLOGY)
    assert code == 0, output


def test_policy_module_imports_only_click() -> None:
    import subprocess

    script = ("import sys; import cabructl.cli.policy_cmds; "
              "print(sorted(m for m in ('boto3', 'botocore', 'jsonschema', 'ruamel', 'cabructl.policy.report') if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_apply_gate_api(topology_copy: Path) -> None:
    report = evaluate_policy(load_topology(str(TOPOLOGY)))
    assert isinstance(report, PolicyReport) and report.ok
    assert sorted(f.id for f in report.warnings) == ["COST004", "VOL002"] and report.errors == ()
    assert "apply may write." in render_paragraph(report) and "\n" not in render_paragraph(report)

    edit_topology(topology_copy, *HOURLY_ABOVE_DAILY)
    refused = evaluate_policy(load_topology(str(topology_copy)))
    assert not refused.ok and [f.id for f in refused.errors] == ["VOL001"]
    paragraph = render_paragraph(refused)
    assert "1 error" in paragraph
    assert f"VOL001 agents.product.volume.per_hour ({topology_copy}:{line_of(topology_copy, 'per_hour: 6000')})" in paragraph
    assert paragraph.endswith("apply will not write until the errors are fixed (details: cabructl policy check).")


def test_github_annotation_data_is_escaped(topology_copy: Path) -> None:
    """A finding quoting '%' or a newline must not break the workflow command (alarm at 91%)."""
    edit_topology(topology_copy, "threshold: 7500", "threshold: 7600")
    code, output = policy_check(topology_copy, "--format", "github")
    assert code == 0
    warning = next(line for line in output.splitlines() if "title=ALARM002" in line)
    assert "(91%25 of the budget" in warning and "%" not in warning.replace("%25", "")
