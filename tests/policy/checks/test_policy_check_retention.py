"""RET001 (log retention) and RET002 (archive retention) within the policy's maxima."""

from __future__ import annotations

from pathlib import Path

from support import edit_topology, line_of


def test_ret001_log_retention_too_long(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "    name: /aws/events/{project}-{environment}/agents\n    retention: 7d\n",
                  "    name: /aws/events/{project}-{environment}/agents\n    retention: 14d\n")
    [finding] = pick(evaluate(topology_copy), "RET001")
    assert finding.severity == "error" and finding.line == line_of(topology_copy, "/agents") + 1
    assert finding.message == "log group agents keeps events 14 days; the policy allows at most 7"


def test_ret001_log_group_kept_forever(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "    name: /aws/events/{project}-{environment}/agents\n    retention: 7d\n",
                  "    name: /aws/events/{project}-{environment}/agents\n")
    [finding] = pick(evaluate(topology_copy), "RET001")
    assert finding.line == line_of(topology_copy, "log_groups:") + 1
    assert finding.message == "log group agents keeps events forever (no `retention`); the policy allows at most 7 days"


def test_ret002_archive_retention_too_long(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "    retention: 7d\n", "    retention: 30d\n")  # the archive's comes first
    [finding] = pick(evaluate(topology_copy), "RET002")
    assert finding.line == line_of(topology_copy, "retention: 30d")
    assert finding.message == "the archive keeps events 30 days; the policy allows at most 7"


def test_ret002_archive_kept_forever(evaluate, pick, topology_copy: Path) -> None:
    edit_topology(topology_copy, "    retention: 7d\n", "    retention: 0d\n")
    [finding] = pick(evaluate(topology_copy), "RET002")
    assert "forever (retention 0)" in finding.message
