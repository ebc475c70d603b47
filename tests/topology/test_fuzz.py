"""Random mutations of the real topology never crash validation (errors, never tracebacks).

Besides single-line edits, structural ones: a value nested up to 150 levels deep (past
MAX_NESTING_DEPTH), anchors with aliases and merge keys (valid, overriding, dangling, of a
scalar), keys that are not strings, and numbers far beyond any AWS limit.
"""

from __future__ import annotations

import os
import re
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


VALUE_LINE = re.compile(r"^( *)([A-Za-z_][\w.-]*): (\S.*)$")  # indent, key, value
BLOCK_KEY = re.compile(r"^( *)([A-Za-z_][\w.-]*):$")  # a key whose value is the block below it

keys = st.sampled_from(["404", "1", "1.5", "true", "~", "0x1F", '"404"', "'<<'", "<<", "? [a, b]"])
huge_numbers = st.one_of(
    st.integers(19, 5_000).map(lambda digits: "9" * digits), st.integers(17, 600).map(lambda digits: "0x" + "f" * digits),
    st.sampled_from(["1e400", "-1.5e300", str(2**63), str(-(2**63) - 1), str(2**63 - 1), "1_" + "0" * 30, "-0b" + "1" * 70]),
)


def _matching(lines: list[str], pattern: re.Pattern[str]) -> list[int]:
    return [index for index, line in enumerate(lines) if pattern.match(line.rstrip("\n"))]


def _nest(draw: st.DrawFn, value: str) -> str:
    levels = draw(st.integers(1, 150))
    opener, closer = draw(st.sampled_from([("[", "]"), ("{k: ", "}"), ("[{k: ", "}]")]))
    return opener * levels + value + closer * levels


def _child_indent(lines: list[str], index: int) -> str:
    following = lines[index + 1] if index + 1 < len(lines) else ""
    return following[: len(following) - len(following.lstrip(" "))] or " " * (len(lines[index]) - len(lines[index].lstrip(" ")) + 2)


def structural_edit(draw: st.DrawFn, lines: list[str]) -> None:
    """One structural change in place: nesting, merge keys and aliases, key types, huge numbers."""
    values, blocks = _matching(lines, VALUE_LINE), _matching(lines, BLOCK_KEY)
    operation = draw(st.sampled_from(["nest", "key-type", "huge-number", "merge", "alias"]))
    if operation in ("nest", "key-type", "huge-number") and values:
        index = draw(st.sampled_from(values))
        indent, key, value = VALUE_LINE.match(lines[index].rstrip("\n")).groups()  # type: ignore[union-attr]
        if operation == "nest":
            lines[index] = f"{indent}{key}: {_nest(draw, value if value[:1] not in '#&*' else 'x')}\n"
        elif operation == "key-type":
            new_key = draw(keys)
            lines[index] = f"{indent}? [a, b]\n{indent}: {value}\n" if new_key.startswith("?") else f"{indent}{new_key}: {value}\n"
        else:
            lines[index] = f"{indent}{key}: {draw(huge_numbers)}\n"
    elif operation == "merge" and blocks:
        anchor, target = draw(st.sampled_from(blocks)), draw(st.sampled_from(blocks))
        merged = draw(st.sampled_from([f"*m{anchor}", f"[*m{anchor}, {{extra: 1}}]", "{retention: 4d}", "5", f"*nowhere{anchor}"]))
        lines.insert(target + 1, f"{_child_indent(lines, target)}<<: {merged}\n")
        lines[anchor] = lines[anchor].rstrip("\n") + f" &m{anchor}\n"
    elif operation == "alias" and blocks and values:
        anchor, index = draw(st.sampled_from(blocks)), draw(st.sampled_from(values))
        indent, key, _ = VALUE_LINE.match(lines[index].rstrip("\n")).groups()  # type: ignore[union-attr]
        lines[index] = f"{indent}{key}: *m{anchor}\n"
        lines[anchor] = lines[anchor].rstrip("\n") + f" &m{anchor}\n"


@st.composite
def mutated_topology(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            structural_edit(draw, lines)
            continue
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
        assert len(diagnostic.render()) < 2_000, "a diagnostic quotes a huge value whole"
    assert topology is not None or diagnostics
