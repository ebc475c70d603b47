"""Where a target delivers, at ``validate``: what only warns (refusals are pinned by the bad fixtures)."""

from __future__ import annotations

from pathlib import Path

from cabructl.topology import check_topology

BUS_TARGET = """version: 1
project: demo
environment: dev
region: sa-east-1
bus: {name: agents}
rules:
  r:
    pattern: {source: [demo.agent]}
    targets:
      - {id: b, event_bus: "arn:aws:events:us-east-1:111122223333:event-bus/peer", input_path: "$.detail"}
"""


def test_input_settings_on_a_bus_target_warn_that_the_bus_gets_the_event_itself(tmp_path: Path) -> None:
    file = tmp_path / "topology.yaml"
    file.write_text(BUS_TARGET, encoding="utf-8")
    topology, diagnostics = check_topology(str(file))
    assert topology is not None  # valid: the target still delivers, the event as it was published
    [warning] = diagnostics
    assert (warning.severity, warning.reference, warning.line) == ("warning", "input-not-applied", 10)
    assert "event bus targets receive the event itself; `input_path` is not applied" in warning.render()


def test_a_bus_in_another_region_and_account_is_no_finding(tmp_path: Path) -> None:
    file = tmp_path / "topology.yaml"
    file.write_text(BUS_TARGET.replace(', input_path: "$.detail"', ""), encoding="utf-8")
    assert check_topology(str(file))[1] == []
