"""NaN and infinities are refused in every number of the input, at their file:line:col.

JSON Schema's ``number`` accepts NaN and NaN passes every ``minimum``, so without this
a ``.nan`` budget read as "nan% of budget" and a ``.nan`` alarm threshold made every
plan differ. The check is made once, where YAML becomes plain data; these cases pick
numbers of different sections, an environment override, a list item and a schema file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from support import edit_topology, line_of

MESSAGE = "is not a finite number; NaN and infinities are not allowed"

# (id, file relative to the topology's folder, replace, with (VALUE stands for the spelling), path)
FIELDS = [
    ("budget", "topology.yaml", "monthly_usd: 10", "monthly_usd: VALUE", "budget.monthly_usd"),
    ("alarm-threshold", "topology.yaml", "threshold: 7500", "threshold: VALUE", "monitoring.cost_alarm.threshold"),
    ("integer-in-flow-mapping", "topology.yaml", "retry: {attempts: 5,", "retry: {attempts: VALUE,",
     "rules.critical-issues.targets[0].retry.attempts"),
    ("mix-share", "topology.yaml", "{LOW: 0.55,", "{LOW: VALUE,", "agents.monitor.mix.severity.LOW"),
    ("list-item", "topology.yaml", "severity: [CRITICAL, HIGH]", "severity: [CRITICAL, VALUE]",
     "rules.critical-issues.pattern.detail.severity[1]"),
    ("environment-override", "topology.yaml", "monthly_usd: 5", "monthly_usd: VALUE", "environments.dev.budget.monthly_usd"),
    ("schema-file", "schemas/TestResultsEvent.yaml", "duration: {type: number}", "duration: {type: number, minimum: VALUE}",
     "components.schemas.TestResultsEvent.properties.summary.properties.duration.minimum"),
]

# (YAML spelling, how the message names the value)
SPELLINGS = [(".nan", "NaN"), (".inf", "infinity"), ("-.inf", "-infinity")]


def _write_non_finite(topology: Path, file: str, old: str, new: str, spelling: str) -> tuple[Path, int, int]:
    """Put ``spelling`` into ``file``; returns the edited file and the value's line and column."""
    edited = edit_topology(topology.parent / file, old, new.replace("VALUE", spelling))
    line = line_of(edited, new.replace("VALUE", spelling))
    text = edited.read_text(encoding="utf-8").splitlines()[line - 1]
    before_value = new.split("VALUE")[0]
    return edited, line, text.index(before_value) + len(before_value) + 1


@pytest.mark.parametrize("spelling,shown", SPELLINGS, ids=[s[0] for s in SPELLINGS])
@pytest.mark.parametrize("file,old,new,path", [f[1:] for f in FIELDS], ids=[f[0] for f in FIELDS])
def test_a_non_finite_number_is_refused_at_its_position(topology_copy: Path, file: str, old: str, new: str, path: str,
                                                         spelling: str, shown: str) -> None:
    edited, line, column = _write_non_finite(topology_copy, file, old, new, spelling)
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{file}:{line}:{column}: {path}: {shown} {MESSAGE}" in result.output, result.output
    assert edited.exists()


# JSON-style forms that YAML also loads as non-finite floats: overflowing exponents, other cases.
@pytest.mark.parametrize("spelling,shown", [("1e999", "infinity"), ("-1.0e+400", "-infinity"), (".NaN", "NaN"), ("+.INF", "infinity")])
def test_json_style_overflow_and_other_spellings_are_refused_too(topology_copy: Path, spelling: str, shown: str) -> None:
    _, line, column = _write_non_finite(topology_copy, "topology.yaml", "threshold: 7500", "threshold: VALUE", spelling)
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy)])
    assert result.exit_code == 1
    assert f"topology.yaml:{line}:{column}: monitoring.cost_alarm.threshold: {shown} {MESSAGE}" in result.output


def test_every_non_finite_number_of_a_file_is_reported_in_one_pass(topology_copy: Path) -> None:
    edit_topology(topology_copy, "monthly_usd: 10", "monthly_usd: .nan")
    edit_topology(topology_copy, "threshold: 7500", "threshold: .inf")
    result = CliRunner().invoke(cli, ["validate", "-f", str(topology_copy), "--format", "json"])
    assert result.exit_code == 1
    assert result.output.count('"reference": "non-finite-number"') == 2, result.output


def test_policy_check_refuses_a_nan_budget(topology_copy: Path) -> None:
    """Before: "nan% of budget" and exit 0."""
    edit_topology(topology_copy, "monthly_usd: 10", "monthly_usd: .nan")
    line = line_of(topology_copy, "monthly_usd: .nan")
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(topology_copy)])
    assert result.exit_code == 1, result.output
    assert f"topology.yaml:{line}:16: budget.monthly_usd: NaN {MESSAGE}" in result.output
    assert "nan%" not in result.output and "Traceback" not in result.output


def test_apply_refuses_a_nan_threshold_before_any_aws_call(topology_copy: Path) -> None:
    """Before: apply wrote NaN to the alarm and every later plan showed a diff. Nothing
    listens on the endpoint: reaching AWS would be a different error."""
    edit_topology(topology_copy, "threshold: 7500", "threshold: .nan")
    line = line_of(topology_copy, "threshold: .nan")
    result = CliRunner().invoke(cli, ["apply", "-f", str(topology_copy), "--auto-approve", "--endpoint-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert f"topology.yaml:{line}:16: monitoring.cost_alarm.threshold: NaN {MESSAGE}" in result.output
    assert "error[aws-error]" not in result.output
