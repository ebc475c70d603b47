"""docs/policy.md's worked examples are `cabructl policy check --explain` output, and its totals are the JSON's.

Each fenced block after a ``<!-- worked-example: SERVICE -->`` marker (and after a
``<!-- policy-check-output -->`` marker: the tables and lists quoted elsewhere in the page) must
consist of lines the text output for topology.yaml prints, each compared whole once both sides
lose their leading and trailing blanks (the docs drop the two-space indent of item lines and of the
not-modelled list). A number that drifts in the model, or in the docs, fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "policy.md"
SERVICES = ("eventbridge", "logs", "sqs", "sns", "cloudwatch", "kms", "dynamodb")
MARKER = re.compile(r"^<!-- (worked-example: (?P<service>[a-z]+)|policy-check-output) -->$")
# The one sentence of the docs that states both scopes' totals for the real topology.
TOTALS = re.compile(r"EventBridge (?P<eb_worst>\d+\.\d\d) USD worst case, (?P<eb_expected>\d+\.\d\d) USD\s+expected; "
                    r"the whole backbone: (?P<bb_worst>\d+\.\d\d) USD worst case, (?P<bb_expected>\d+\.\d\d) USD expected")


def _policy_check(*args: str) -> str:
    result = CliRunner().invoke(cli, ["policy", "check", "-f", str(ROOT / "topology.yaml"), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def explain_lines() -> set[str]:
    return {line.strip() for line in _policy_check("--explain").splitlines() if line.strip()}


def _blocks(text: str) -> list[tuple[str | None, int, list[str]]]:
    """(service or None, line number of the marker, the fenced block's lines) for every marked block."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        marker = MARKER.match(line.strip())
        if not marker:
            continue
        assert lines[index + 1].startswith("```"), f"docs/policy.md:{index + 1}: the marker must be followed by a fenced block"
        end = next(number for number in range(index + 2, len(lines)) if lines[number].startswith("```"))
        found.append((marker.group("service"), index + 1, lines[index + 2:end]))
    return found


BLOCKS = _blocks(DOCS.read_text(encoding="utf-8"))


def test_every_service_has_one_worked_example() -> None:
    services = [service for service, _, _ in BLOCKS if service is not None]
    assert sorted(services) == sorted(SERVICES), "one <!-- worked-example: SERVICE --> block per service"


@pytest.mark.parametrize(("service", "line", "block"), BLOCKS,
                         ids=[f"{service or 'output'}@{line}" for service, line, _ in BLOCKS])
def test_block_lines_are_explain_output(service: str | None, line: int, block: list[str], explain_lines: set[str]) -> None:
    assert block, f"docs/policy.md:{line}: empty block"
    missing = [text for text in block if text.strip() not in explain_lines]
    assert not missing, f"docs/policy.md:{line}: not in `cabructl policy check --explain` output: {missing}"


@pytest.mark.parametrize("service", [service for service in SERVICES if service != "kms"])
def test_worked_example_starts_with_the_services_heading(service: str) -> None:
    """The block is the service's heading line and its items, not lines picked from elsewhere."""
    (block,) = [block for name, _, block in BLOCKS if name == service]
    assert block[0].endswith(")") and f"({service}): " in block[0]
    assert all(re.match(r"^[a-z_]+: ", text) for text in block[1:])


def test_totals_sentence_matches_the_json() -> None:
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    sentences = list(TOTALS.finditer(text))
    assert len(sentences) == 1, "docs/policy.md states both scopes' totals once"
    stated = {key: float(value) for key, value in sentences[0].groupdict().items()}
    totals = json.loads(_policy_check("--format", "json"))["totals_usd"]
    assert stated == {"eb_worst": round(totals["eventbridge"]["worst_case"], 2),
                      "eb_expected": round(totals["eventbridge"]["expected"], 2),
                      "bb_worst": round(totals["backbone"]["worst_case"], 2),
                      "bb_expected": round(totals["backbone"]["expected"], 2)}
