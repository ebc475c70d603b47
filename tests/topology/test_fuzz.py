"""Random mutations of the real topology never crash validation (errors, never tracebacks)."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cabructl.errors import TopologyError
from cabructl.topology import check_topology
from support import ROOT, TOPOLOGY

LINES = TOPOLOGY.read_text(encoding="utf-8").splitlines(keepends=True)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["[]", "{}", "- x", "&a x", "*a", "!!binary x", "'", '"', ":", "\t", "~", "7d", "-1d", "0"]),
)


@st.composite
def mutated_topology(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        operation = draw(st.sampled_from(["delete", "duplicate", "replace-value", "insert", "indent", "truncate"]))
        line = lines[index]
        if operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, line)
        elif operation == "replace-value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[index] = f"{key}: {draw(scalars)}\n"
        elif operation == "insert":
            lines.insert(index, f"{' ' * draw(st.integers(0, 8))}{draw(st.text(max_size=20))}: {draw(scalars)}\n")
        elif operation == "indent":
            lines[index] = " " * draw(st.integers(0, 3)) + line
        else:
            lines[index] = line[: draw(st.integers(0, len(line)))] + "\n"
        if not lines:
            break
    return "".join(lines)


@settings(max_examples=int(os.environ.get("CABRUCTL_FUZZ_EXAMPLES", "250")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=mutated_topology())
def test_mutated_topology_never_raises(tmp_path_factory: object, text: str) -> None:
    folder = Path(tmp_path_factory.mktemp("fuzz"))  # type: ignore[attr-defined]
    (folder / "schemas").symlink_to(ROOT / "schemas")
    path = folder / "topology.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        topology, diagnostics = check_topology(str(path))
    except TopologyError:
        raise AssertionError("check_topology reports problems as diagnostics, it does not raise")
    for diagnostic in diagnostics:
        assert diagnostic.line >= 0 and diagnostic.message
    assert topology is not None or diagnostics
