"""Saved plans (``plan --out``, ``apply PLANFILE``): a file that says what to do, checked before it is read.

A saved plan is the plan JSON plus what applying it exactly needs: the full
resources of each change, the desired state and account it was made against, the
fingerprint of everything discovery saw, and a checksum over all of it.

Loading is refusal first (Terraform's "saved plan is stale", CloudFormation's
obsolete change set): the file must be a regular file of bounded size, valid JSON,
valid against ``data/plan.schema.json`` (format version, required keys, types),
and its checksum must match, so an edited file is refused whole. Even a file that
passes says only *what* to do: ownership, existence and data held are re-read from
live AWS at apply time (:mod:`cabructl.engine.recheck`), never taken from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import replace
from typing import Any, Collection, Mapping

from cabructl.engine.plan import FORMAT_VERSION, Action, AttributeChange, Change, Kept, Plan, Reason
from cabructl.errors import CabructlError
from cabructl.resources.base import Resource

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "plan.schema.json")
MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024  # a plan of 300 rules x 5 targets is a few MB
CHECKSUM_PREFIX = "sha256:"


class PlanFileError(CabructlError):
    reference = "bad-plan-file"


def save_plan(plan: Plan, path: str) -> None:
    """Write ``plan`` for ``apply PLANFILE``; atomically, so a failed write leaves no half file."""
    if plan.desired is None:
        raise ValueError("a saved plan needs the desired state it was made against")
    document = plan_document(plan)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".plan-", suffix=".json", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, default=str)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def plan_document(plan: Plan) -> dict[str, Any]:
    """The saved form of ``plan``, checksum included."""
    assert plan.desired is not None
    document = json.loads(json.dumps(plan.to_json(include_resources=True), default=str))
    document["account"] = plan.account
    document["desired"] = {address: resource.to_json() for address, resource in sorted(plan.desired.items())}
    document["checksum"] = checksum(document)
    return document


def checksum(document: Mapping[str, Any]) -> str:
    """sha256 over the canonical JSON of everything but the checksum itself (key order never matters)."""
    content = {key: value for key, value in document.items() if key != "checksum"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return CHECKSUM_PREFIX + hashlib.sha256(text.encode("ascii")).hexdigest()


def load_plan(path: str, known_kinds: Collection[str]) -> Plan:
    """Read, validate and rebuild a saved plan; every refusal is a :class:`PlanFileError` naming the file."""
    document = _read_json(path)
    _validate_schema(path, document)
    if document["checksum"] != checksum(document):
        raise PlanFileError(f"{path}: the file was changed after `cabructl plan --out` wrote it (checksum mismatch); "
                            "nothing was applied", hint="make the plan again with `cabructl plan --out FILE`")
    _check_consistency(path, document, known_kinds)
    return plan_from_document(document)


def _read_json(path: str) -> Any:
    try:
        info = os.stat(path)
    except OSError as error:
        raise PlanFileError(f"{path}: cannot read the plan file: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise PlanFileError(f"{path}: not a regular file")
    if info.st_size > MAX_PLAN_FILE_BYTES:
        raise PlanFileError(f"{path}: {info.st_size} bytes is more than a plan file can be ({MAX_PLAN_FILE_BYTES} bytes)")
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read(MAX_PLAN_FILE_BYTES + 1).decode("utf-8"))
    except UnicodeDecodeError as error:
        raise PlanFileError(f"{path}: not a cabructl plan (not UTF-8 text: {error.reason})") from None
    except RecursionError:
        raise PlanFileError(f"{path}: not a cabructl plan (nested too deeply)") from None
    except ValueError as error:
        raise PlanFileError(f"{path}: not a cabructl plan (invalid JSON: {error})") from None


def _validate_schema(path: str, document: Any) -> None:
    from jsonschema import Draft202012Validator

    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        validator = Draft202012Validator(json.load(handle))
    try:
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    except RecursionError:
        raise PlanFileError(f"{path}: not a cabructl plan (nested too deeply)") from None
    if errors:
        lines = [f"  {_json_path(error.absolute_path)}: {error.message[:300]}" for error in errors[:10]]
        more = f"\n  … and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise PlanFileError(f"{path}: not a valid cabructl plan; nothing was applied:\n" + "\n".join(lines) + more,
                            hint="make the plan again with `cabructl plan --out FILE`")


def _json_path(parts: Any) -> str:
    text = "(the document)"
    for index, part in enumerate(parts):
        if index == 0:
            text = str(part)
        else:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _check_consistency(path: str, document: Mapping[str, Any], known_kinds: Collection[str]) -> None:
    """What a schema cannot say: each change names a known kind, its resources carry its address,
    and before/after fit the action."""
    problems = []
    seen: set[str] = set()
    for change in document["changes"]:
        address, kind, action = change["address"], change["kind"], change["action"]
        if change["adopt"] != (change["reason"] == Reason.ADOPTED.value):
            problems.append(f"{address}: adopt and reason disagree")
        stored = document["resources"].get(address)
        if address in seen:
            problems.append(f"{address}: planned twice")
        seen.add(address)
        if kind not in known_kinds or not address.startswith(kind + "."):
            problems.append(f"{address}: kind {kind!r} is not a kind cabructl manages at this address")
        if stored is None:
            problems.append(f"{address}: its resources are missing")
            continue
        for side in ("before", "after"):
            resource = stored[side]
            if resource is not None and (resource["address"] != address or resource["kind"] != kind):
                problems.append(f"{address}: its {side} resource is {resource['kind']} {resource['address']}")
        needs = {"create": (False, True), "delete": (True, False)}.get(action, (True, True))
        if (stored["before"] is not None, stored["after"] is not None) != needs:
            problems.append(f"{address}: a {action} needs {'a' if needs[0] else 'no'} before and {'an' if needs[1] else 'no'} after")
    if set(document["resources"]) != seen:
        problems.append("resources are listed that no change names")
    if problems:
        raise PlanFileError(f"{path}: not a valid cabructl plan; nothing was applied:\n" + "\n".join(f"  {p}" for p in problems))


def plan_from_document(document: Mapping[str, Any]) -> Plan:
    """Rebuild the :class:`Plan` of a validated saved plan."""
    resources = document["resources"]
    changes = []
    for raw in document["changes"]:
        stored = resources[raw["address"]]
        changes.append(Change(
            address=raw["address"],
            kind=raw["kind"],
            action=Action(raw["action"]),
            before=Resource.from_json(stored["before"]) if stored["before"] else None,
            after=Resource.from_json(stored["after"]) if stored["after"] else None,
            diff=tuple(AttributeChange(d["path"], d["before"], d["after"]) for d in raw["diff"]),
            reason=Reason(raw["reason"]) if raw["reason"] else None,
            replace_fields=tuple(raw["replace_fields"]),
            data_loss=raw["data_loss"],
        ))
    plan = Plan(
        topology=document["topology"],
        environment=document["environment"],
        region=document["region"],
        changes=tuple(changes),
        live_fingerprint=document["live_fingerprint"],
        kept=tuple(Kept(k["address"], k["name"], tuple(k["holding"])) for k in document["kept"]),
        account=document["account"],
    )
    desired = {address: Resource.from_json(data) for address, data in document["desired"].items()}
    return replace(plan, desired=desired)


assert FORMAT_VERSION == 1, "plan.schema.json pins format_version 1: change both together"
