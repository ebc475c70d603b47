"""docs/cli.md, rendered from the commands themselves so the reference cannot drift.

    python -m cabructl.cli.reference > docs/cli.md

It takes the command tree as an argument: output never imports the CLI.
"""

from __future__ import annotations

from typing import Iterator

import click

# Fixed widths: the reference must not depend on the terminal that generated it.
_SETTINGS = {"terminal_width": 100, "max_content_width": 100, "help_option_names": ["-h", "--help"]}


def command_reference(root: click.Group) -> str:
    """Every command's usage, help and options, as markdown."""
    lines = ["# CLI reference", "", "Generated from `cabructl --help` of every command "
             "(`python -m cabructl.cli.reference > docs/cli.md`).", ""]
    context = click.Context(root, info_name="cabructl", **_SETTINGS)
    for name, command in _walk(root, context, "cabructl"):
        sub_context = click.Context(command, info_name=name, **_SETTINGS)
        lines += [f"## `{name}`", "", "```text", command.get_help(sub_context).replace("Usage: " + command.name, "Usage: " + name, 1), "```", ""]
    return "\n".join(lines)


def _walk(group: click.Group, context: click.Context, prefix: str) -> Iterator[tuple[str, click.Command]]:
    yield prefix, group
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if command is None:
            continue
        if isinstance(command, click.Group):
            yield from _walk(command, click.Context(command, info_name=name, parent=context, **_SETTINGS), f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command

