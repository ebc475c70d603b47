"""Every command the CLI exposes, walked from the CLI itself (not a hand list): usage errors exit 64,
a broken topology exits 1 with its file and line, and nothing prints a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import click
import pytest
from click.testing import CliRunner

from cabructl.cli import EXIT_USAGE, cli
from support import TOPOLOGY


def leaf_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    context = click.Context(group, info_name="cabructl")
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from leaf_commands(command, path + (name,))
        elif command is not None:
            yield path + (name,), command


COMMANDS = sorted(path for path, _ in leaf_commands())
READS_TOPOLOGY = sorted(path for path, command in leaf_commands() if any(param.name == "file" for param in command.params))
GROUPS = [()] + sorted({path[:-1] for path in COMMANDS if len(path) > 1})


# Arguments a command needs before it reads the topology (the rest of its input is valid).
NEEDS = {("publish",): ["--agent", "monitor", "--detail", "{}"], ("dlq", "show"): ["eventbridge-dlq"],
         ("dlq", "redrive"): ["eventbridge-dlq"], ("replay", "start"): ["--from", "-1h", "--to", "now"],
         ("consume",): ["--handler", "json:dumps"]}


def required_arguments(path: tuple[str, ...], command: click.Command) -> list[str]:
    """Placeholder values for required positional arguments, so the input under test is what fails."""
    return NEEDS.get(path, []) + ["placeholder" for param in command.params if isinstance(param, click.Argument) and param.required]


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def test_the_walk_finds_the_commands() -> None:
    assert {("plan",), ("apply",), ("drift",), ("test-event",), ("dlq", "redrive")} <= set(COMMANDS)
    assert ("validate",) in READS_TOPOLOGY and ("plan",) in READS_TOPOLOGY


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_an_unknown_option_is_a_usage_error(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--no-such-option")
    assert result.exit_code == EXIT_USAGE, result.output
    assert "No such option '--no-such-option'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("path", GROUPS, ids=lambda path: " ".join(path) or "cabructl")
def test_a_group_without_a_command_is_a_usage_error(path: tuple[str, ...]) -> None:
    result = invoke(*path)
    assert result.exit_code == EXIT_USAGE, result.output
    assert "Usage:" in result.output


BROKEN = {
    "yaml-syntax": ("rules: [unclosed\n", "topology.yaml:2:1"),
    "not-a-mapping": ("- a list\n", "topology.yaml:1:1"),
    "non-finite-number": ("version: 1\nbudget:\n  monthly_usd: .nan\n", "topology.yaml:3:16"),
    "deep-nesting": ("version: 1\nrules: " + "[" * 3000 + "]" * 3000 + "\n", "topology.yaml:2:"),
    "integer-key": ("version: 1\nqueues:\n  404: {retention: 1d}\n", "topology.yaml:3:3"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("path", READS_TOPOLOGY, ids=" ".join)
def test_a_broken_topology_is_an_error_with_its_line(tmp_path: Path, path: tuple[str, ...], case: str) -> None:
    text, where = BROKEN[case]
    file = tmp_path / "topology.yaml"
    file.write_text(text, encoding="utf-8")
    command = dict(leaf_commands())[path]
    result = invoke(*path, *required_arguments(path, command), "-f", str(file))
    assert result.exit_code == 1, result.output
    assert where in result.output and "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("path", READS_TOPOLOGY, ids=" ".join)
def test_a_missing_topology_is_an_error_naming_the_file(tmp_path: Path, path: tuple[str, ...]) -> None:
    command = dict(leaf_commands())[path]
    missing = tmp_path / "nowhere.yaml"
    result = invoke(*path, *required_arguments(path, command), "-f", str(missing))
    assert result.exit_code == 1, result.output
    assert "nowhere.yaml" in result.output and "Traceback" not in result.output


def test_the_real_topology_is_valid_for_this_test_to_mean_anything() -> None:
    assert invoke("validate", "-f", str(TOPOLOGY)).exit_code == 0
