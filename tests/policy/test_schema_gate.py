"""`policy check --against GIT_REF`: a schema change that breaks its consumers fails the pull request."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cabructl.cli import cli
from support import ROOT

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
SCHEMA = Path("schemas") / "FeatureRequestEvent.yaml"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The real topology in a repository of its own, with one commit."""
    shutil.copy(ROOT / "topology.yaml", tmp_path / "topology.yaml")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def change_schema(repo: Path, field: str, *, required: bool) -> None:
    text = (repo / SCHEMA).read_text(encoding="utf-8")
    text = text.replace("        description: {type: string}\n", f"        description: {{type: string}}\n        {field}: {{type: string}}\n", 1)
    if required:
        text = text.replace("required: [", f"required: [{field}, ", 1)
    (repo / SCHEMA).write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", f"add {field}")


def policy_check(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["policy", "check", *args])
    return result.exit_code, result.output


def test_a_new_required_field_fails_the_gate_under_backward(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    change_schema(repo, "owner", required=True)
    code, output = policy_check(repo, monkeypatch, "--against", "HEAD~1")
    assert code == 1, output
    assert "error SCHEMA001: schemas.events.FeatureRequestEvent: detail.owner: required field owner added breaks backward" in output
    assert "topology.yaml:" in output


def test_a_new_optional_field_passes(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    change_schema(repo, "owner", required=False)
    code, output = policy_check(repo, monkeypatch, "--against", "HEAD~1")
    assert code == 0, output
    assert "SCHEMA001" not in output


def test_mode_none_lets_anything_through_and_a_bad_revision_is_a_clear_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (repo / "topology.yaml").read_text(encoding="utf-8")
    text = text.replace("file: schemas/FeatureRequestEvent.yaml", "file: schemas/FeatureRequestEvent.yaml\n      compatibility: none", 1)
    (repo / "topology.yaml").write_text(text, encoding="utf-8")
    change_schema(repo, "owner", required=True)
    assert policy_check(repo, monkeypatch, "--against", "HEAD~1")[0] == 0
    code, output = policy_check(repo, monkeypatch, "--against", "no-such-ref")
    assert code == 1 and "git archive" in output and "Traceback" not in output
