"""``apply PLANFILE`` trusts nothing in the file: schema, checksum, and ownership re-derived from live AWS."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from cabructl.aws import Aws, AwsSettings
from cabructl.engine import Engine
from cabructl.engine.plan_file import PlanFileError, checksum, load_plan
from cabructl.resources import handlers, sns_topic, sqs_queue
from cabructl.topology import load_topology
from support import TOPOLOGY

KINDS = (sqs_queue.HANDLER, sns_topic.HANDLER)
KNOWN = {handler.kind for handler in handlers()}


@pytest.fixture(scope="module")
def saved_document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real saved plan (the real topology's queues and topic against an empty account)."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        engine = Engine(load_topology(str(TOPOLOGY)), Aws(AwsSettings(region="sa-east-1")), kinds=KINDS)
        path = tmp_path_factory.mktemp("plan") / "plan.json"
        engine.save_plan(engine.plan(), str(path))
        yield json.loads(path.read_text(encoding="utf-8"))


def write(folder: Path, document: Any, name: str = "plan.json") -> str:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_the_saved_plan_loads_as_saved(saved_document: dict[str, Any], tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, saved_document), KNOWN)
    assert [change.address for change in plan.changes] == [change["address"] for change in saved_document["changes"]]
    assert plan.desired is not None and set(plan.desired) >= {change["address"] for change in saved_document["changes"]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param([], "(the document): [] is not of type 'object'", id="a-list"),
        pytest.param("plan", "(the document): 'plan' is not of type 'object'", id="a-string"),
        pytest.param({}, "'format_version' is a required property", id="empty"),
    ],
)
def test_what_is_not_a_plan_is_refused_clearly(tmp_path: Path, document: Any, message: str) -> None:
    with pytest.raises(PlanFileError, match="not a valid cabructl plan") as refused:
        load_plan(write(tmp_path, document), KNOWN)
    assert message in str(refused.value)


def test_a_plan_without_its_fingerprint_is_refused(saved_document: dict[str, Any], tmp_path: Path) -> None:
    """Defect 5: removing live_fingerprint used to switch the staleness check off."""
    document = copy.deepcopy(saved_document)
    del document["live_fingerprint"]
    document["checksum"] = checksum(document)
    with pytest.raises(PlanFileError, match="'live_fingerprint' is a required property"):
        load_plan(write(tmp_path, document), KNOWN)


def test_an_edit_is_detected_by_the_checksum(saved_document: dict[str, Any], tmp_path: Path) -> None:
    document = copy.deepcopy(saved_document)
    document["resources"][document["changes"][0]["address"]]["after"]["owned"] = False
    with pytest.raises(PlanFileError, match="checksum mismatch"):
        load_plan(write(tmp_path, document), KNOWN)


def test_files_that_are_not_plans(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    for name, message in [("folder", "not a regular file"), ("deep.json", "not a cabructl plan"),
                          ("binary.json", "not UTF-8"), ("missing.json", "cannot read the plan file")]:
        with pytest.raises(PlanFileError, match=message):
            load_plan(str(tmp_path / name), KNOWN)


# -- random mutations: every one refused with a clear message, never a traceback ----------------

def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _mutate(document: dict[str, Any], path: tuple[Any, ...], how: str, replacement: Any) -> Any:
    mutated = copy.deepcopy(document)
    if not path:
        return replacement
    parent = mutated
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "remove":
        del parent[last]
    elif how == "retype":
        parent[last] = replacement
    elif how == "owned" and isinstance(parent[last], dict) and "owned" in parent[last]:
        parent[last]["owned"] = not parent[last]["owned"]
    elif how == "address" and isinstance(parent[last], dict) and "address" in parent[last]:
        parent[last]["address"] = parent[last]["address"] + "-elsewhere"
    elif how == "reorder" and isinstance(parent[last], list) and len(parent[last]) > 1:
        parent[last].reverse()
    else:
        parent[last] = replacement
    return mutated


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutations_of_a_saved_plan_are_refused(saved_document: dict[str, Any], tmp_path: Path, data: Any) -> None:
    paths = list(_paths(saved_document))
    path = data.draw(st.sampled_from(paths))
    how = data.draw(st.sampled_from(["remove", "retype", "owned", "address", "reorder"]))
    replacement = data.draw(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.just([]), st.just({})))
    mutated = _mutate(saved_document, path, how, replacement)
    if how == "remove" and not path:
        mutated = None
    if mutated == saved_document:
        return  # the draw changed nothing
    with pytest.raises(PlanFileError) as refused:
        load_plan(write(tmp_path, mutated), KNOWN)
    assert "plan" in str(refused.value) and "nothing was applied" in str(refused.value) or "not a" in str(refused.value)
