"""Helpers for tests that edit copies of the topology (importable: tests/ is on pythonpath)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = ROOT / "topology.yaml"


def edit_topology(path: Path, old: str, new: str, count: int = 1) -> Path:
    """Replace text in a topology copy; fails loudly when the text is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing ``fragment``."""
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{fragment!r} not found in {path}")


def create_function(iam: Any, lambda_client: Any, name: str) -> str:
    """A Lambda function for a topology to target (moto creates one from a zip, no Docker needed); its ARN."""
    import io
    import zipfile

    role = iam.create_role(RoleName=f"{name}-execution", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return lambda_client.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handle",
                                         Code={"ZipFile": code.getvalue()})["FunctionArn"]


def every_item(client: Any, operation: str, key: str, **request: Any) -> list[Any]:
    """Every item of a paginated listing: tests share one account, so a first page may not hold theirs."""
    return [item for page in client.get_paginator(operation).paginate(**request) for item in page[key]]
