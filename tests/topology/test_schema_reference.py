"""The JSON Schema and its reference page stay in step; `cabructl schema` prints it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any, Iterator

from click.testing import CliRunner

from cabructl.cli import cli
from cabructl.topology import topology_schema
from support import ROOT


def property_names(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for name, child in schema.get("properties", {}).items():
            yield name
            yield from property_names(child)
        for key in ("additionalProperties", "items"):
            yield from property_names(schema.get(key))
        for key in ("$defs", "definitions"):
            for child in schema.get(key, {}).values():
                yield from property_names(child)


def test_every_schema_key_is_documented() -> None:
    reference = (ROOT / "docs" / "topology.md").read_text(encoding="utf-8")
    missing = sorted({name for name in property_names(topology_schema()) if f"`{name}`" not in reference})
    assert not missing, f"docs/topology.md does not mention: {missing}"


def test_schema_command_prints_the_shipped_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == topology_schema()


def test_topology_points_editors_at_the_schema() -> None:
    first_line = (ROOT / "topology.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")


def test_help_does_not_import_aws_or_validation_libraries() -> None:
    """`cabructl --help` stays fast by importing neither boto3, moto nor jsonschema."""
    code = ("import sys; from cabructl.cli import main; sys.argv=['cabructl','--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy=[m for m in ('boto3','botocore','moto','jsonschema','ruamel') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in output


def test_every_subcommand_has_help() -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["--help"]).output
    commands = [line.split()[0] for line in listing.split("Commands:")[1].strip().splitlines()]
    assert "validate" in commands
    for command in commands:
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output and len(result.output.splitlines()) > 3, command


def test_cli_reference_is_current() -> None:
    """docs/cli.md is generated from the commands; regenerate it when a command changes."""
    from cabructl.cli import cli as root
    from cabructl.output.cli_reference import command_reference

    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == command_reference(root), "run: python -m cabructl.cli.reference > docs/cli.md"
