"""API destination URLs at ``validate``: https only; http on a loopback host is a warning, not an error.

The refusals themselves are pinned by tests/fixtures/topologies/bad/api-destination-urls.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cabructl.topology import check_topology
from cabructl.hosts import is_loopback
from support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "connections" / "topology.yaml"


@pytest.mark.parametrize(("host", "loopback"), [("localhost", True), ("LOCALHOST", True), ("127.0.0.1", True),
                                                ("127.8.9.10", True), ("::1", True), ("128.0.0.1", False),
                                                ("localhost.example.com", False), ("ci.example.com", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_http_on_loopback_validates_with_a_warning_placed_at_the_url(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("https://ci.example.com/hooks/cabruca", "http://[::1]:8080/hooks")
    file = tmp_path / "topology.yaml"
    file.write_text(text, encoding="utf-8")
    topology, diagnostics = check_topology(str(file))
    assert topology is not None
    warning, = diagnostics
    line = text.splitlines().index('    url: "http://[::1]:8080/hooks"') + 1
    assert (warning.severity, warning.reference, warning.line) == ("warning", "loopback-url", line)
    assert ": api_destinations.ci-webhook.url: warning: " in warning.render()
