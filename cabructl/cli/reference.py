"""``python -m cabructl.cli.reference > docs/cli.md``: the CLI reference, rendered from the commands.

The rendering is :mod:`cabructl.output.cli_reference` (output never imports the CLI);
this entry point hands it the command tree and prints, as every CLI module does.
"""

from __future__ import annotations

import click

from cabructl.cli import cli
from cabructl.output.cli_reference import command_reference


def main() -> None:
    click.echo(command_reference(cli), nl=False)


if __name__ == "__main__":  # pragma: no cover - the documented way to regenerate docs/cli.md
    main()
