"""``local serve --function NAME=module:callable``: what is accepted, found where the person runs it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from cabructl.local.invocations import FunctionSpecError, parse_function


def test_a_handler_module_in_the_current_directory_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script does not put the current directory on the path; Lambda's task root is where handlers are."""
    (tmp_path / "cwd_handlers_for_test.py").write_text("def handle(event, context):\n    return event['n'] + 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", os.getcwd())])
    name, handler = parse_function("triage=cwd_handlers_for_test:handle")
    assert (name, handler({"n": 1}, None)) == ("triage", 2)


@pytest.mark.parametrize("text", ["triage", "=mod:fn", "triage=mod", "triage=no_such_module_here:handle", "triage=os:sep"])
def test_a_bad_spec_is_refused_with_the_form_it_needs(text: str) -> None:
    with pytest.raises(FunctionSpecError) as refused:
        parse_function(text)
    assert text in str(refused.value)
