"""`cabructl export asyncapi`: a document the official AsyncAPI parser accepts, saying what the topology says.

The parser is @asyncapi/parser, pinned in tests/exports/asyncapi/package-lock.json (`npm ci` there);
the tests that need it skip, saying why, only where node or the package is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7 as _DRAFT7
from ruamel.yaml import YAML

from cabructl.cli import cli
from cabructl.exports.asyncapi import asyncapi_document
from cabructl.exports.facts import load_catalogue
from support import ROOT, TOPOLOGY

HERE = Path(__file__).resolve().parent
TRICKY = HERE / "fixtures" / "tricky" / "topology.yaml"
ALL_TARGETS = ROOT / "examples" / "all-targets.yaml"
VALIDATOR = HERE / "asyncapi" / "validate.cjs"
PARSER = HERE / "asyncapi" / "node_modules" / "@asyncapi" / "parser" / "package.json"
# Informational only: 3.0.0 is what the issue asks for, the parser suggests the newest.
ACCEPTED_NOTES = {"asyncapi-latest-version"}


def node_parser() -> str:
    """The node binary, or a skip that says what to install."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (install Node.js, then `npm ci` in tests/exports/asyncapi)")
    if not PARSER.exists():
        pytest.skip("@asyncapi/parser is not installed: run `npm ci` in tests/exports/asyncapi")
    return node


def parse(path: Path) -> dict[str, Any]:
    """The official parser's verdict on the file: parsed, diagnostics, and what it understood."""
    result = subprocess.run([node_parser(), str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def export(tmp_path: Path, *args: str) -> tuple[Path, Any]:
    output = tmp_path / ("asyncapi.json" if "json" in args else "asyncapi.yaml")
    result = CliRunner().invoke(cli, ["export", "asyncapi", "-o", str(output), *args])
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    return output, json.loads(text) if output.suffix == ".json" else YAML(typ="safe").load(text)


def problems(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in verdict["diagnostics"] if d["code"] not in ACCEPTED_NOTES and d["severity"] in ("error", "warning")]


@pytest.mark.parametrize("args", [("-f", str(TOPOLOGY)), ("-f", str(TOPOLOGY), "--env", "dev", "--format", "json"),
                                  ("-f", str(TRICKY),), ("-f", str(TRICKY), "--env", "staging", "--format", "json"),
                                  ("-f", str(ALL_TARGETS))],
                         ids=["cabruca-yaml", "cabruca-dev-json", "tricky-yaml", "tricky-staging-json", "every-target-kind"])
def test_the_official_parser_accepts_the_document_without_warnings(tmp_path: Path, args: tuple[str, ...]) -> None:
    path, document = export(tmp_path, *args)
    verdict = parse(path)
    assert verdict["parsed"] and problems(verdict) == [], verdict["diagnostics"]
    understood = verdict["document"]
    assert understood["version"] == "3.0.0"
    assert sorted(understood["channels"]) == sorted(document["channels"])
    assert sorted(understood["messages"]) == sorted(document["components"]["messages"])


def test_the_parser_reports_a_broken_document(tmp_path: Path) -> None:
    """The harness itself: a dangling channel reference is an error, so a pass above means something."""
    path, document = export(tmp_path, "-f", str(TRICKY), "--format", "json")
    first = next(iter(document["operations"].values()))
    first["channel"] = {"$ref": "#/channels/NoSuchChannel"}
    path.write_text(json.dumps(document), encoding="utf-8")
    verdict = parse(path)
    assert any(d["severity"] == "error" for d in verdict["diagnostics"]), verdict


def test_one_channel_and_message_per_event_type_with_the_bus_as_server(tmp_path: Path) -> None:
    _, document = export(tmp_path, "-f", str(TOPOLOGY))
    assert document["asyncapi"] == "3.0.0"
    server = document["servers"]["prod"]
    assert server["title"] == "cabruca-agents-bus" and server["host"] == "events.sa-east-1.amazonaws.com"
    assert server["description"] == "Agent-to-agent communication for Cabruca Segmentation"
    assert {"name": "Purpose:Agent communication"} in server["tags"]
    assert set(document["channels"]) == {"IssueDetectionEvent", "FeatureRequestEvent", "CodeChangeEvent", "TestResultsEvent"}
    channel = document["channels"]["IssueDetectionEvent"]
    assert channel["address"] == "Issue Detection Event" and channel["x-eventbridge-source"] == "cabruca.agents.monitor"
    assert channel["description"] == "Monitoring agents reporting system issues"
    message = document["components"]["messages"]["IssueDetectionEvent"]
    assert message["payload"]["properties"]["detail"] == {"$ref": "#/components/schemas/IssueDetectionEvent"}
    detail = document["components"]["schemas"]["IssueDetectionEvent"]
    assert detail["properties"]["severity"]["enum"] == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]


def test_send_operations_carry_the_declared_volumes_and_receive_operations_the_rule_pattern(tmp_path: Path) -> None:
    _, document = export(tmp_path, "-f", str(TOPOLOGY))
    operations = document["operations"]
    send = operations["monitor.send.IssueDetectionEvent"]
    assert send["action"] == "send" and send["channel"] == {"$ref": "#/channels/IssueDetectionEvent"}
    assert send["x-cabructl-volume"] == {"per_day": 50000, "per_hour": 2100, "sampling": 1.0, "projected_per_month": 1500000}
    receive = operations["critical-issues.critical-issues-sns.receive.IssueDetectionEvent"]
    assert receive["action"] == "receive"
    assert receive["x-cabructl-rule"]["pattern"]["detail"] == {"severity": ["CRITICAL", "HIGH"]}
    assert receive["x-cabructl-target"]["dead_letter"] == "cabruca-segmentation-prod-critical-events-dlq"
    # A rule that cannot match an event type gets no operation on its channel.
    assert not any(op["action"] == "receive" and op["channel"]["$ref"].endswith("/FeatureRequestEvent")
                   and "critical-issues" in name for name, op in operations.items())
    assert sum(op["action"] == "send" for op in operations.values()) == 4


def test_every_example_is_valid_against_its_own_payload(tmp_path: Path) -> None:
    """What a consumer generates code from and what the example shows must agree (refs, nullable and all)."""
    for topology in (TOPOLOGY, TRICKY, ALL_TARGETS):
        _, document = export(tmp_path, "-f", str(topology))
        registry = Registry().with_resource("urn:doc", Resource.from_contents(document, default_specification=_DRAFT7))
        for name, message in document["components"]["messages"].items():
            validator = Draft7Validator({"$ref": f"urn:doc#/components/messages/{name}/payload"}, registry=registry)
            for example in message["examples"]:
                errors = [error.message for error in validator.iter_errors(example["payload"])]
                assert errors == [], (topology.name, name, errors)


def test_openapi_only_keywords_become_their_json_schema_meaning(tmp_path: Path) -> None:
    _, document = export(tmp_path, "-f", str(TRICKY))
    schemas = document["components"]["schemas"]
    order = schemas["OrderPlaced"]["properties"]
    assert order["coupon"]["type"] == ["string", "null"] and "nullable" not in order["coupon"]
    assert order["total"]["exclusiveMinimum"] == 0 and "minimum" not in order["total"]
    assert order["address"] == {"$ref": "#/components/schemas/OrderPlaced.Address"}
    assert schemas["OrderPlaced.Address"]["properties"]["zip"]["type"] == ["string", "null"]
    registry = Registry().with_resource("urn:doc", Resource.from_contents(document, default_specification=_DRAFT7))
    validator = Draft7Validator({"$ref": "urn:doc#/components/schemas/OrderPlaced"}, registry=registry)
    good = {"orderId": "x", "total": 1, "status": "PAID", "address": {"city": "Ilhéus", "zip": None}, "coupon": None}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "total": 0}))  # exclusive
    assert list(validator.iter_errors({**good, "address": {}}))  # the referenced schema's required field


def test_a_type_nobody_routes_has_a_channel_and_no_receive_operation(tmp_path: Path) -> None:
    _, document = export(tmp_path, "-f", str(TRICKY))
    assert "Heartbeat" in document["channels"]
    on_heartbeat = [op for op in document["operations"].values() if op["channel"]["$ref"] == "#/channels/Heartbeat"]
    assert [op["action"] for op in on_heartbeat] == ["send"]


def test_the_document_is_the_same_on_every_run() -> None:
    first = asyncapi_document(load_catalogue(str(TOPOLOGY)))
    second = asyncapi_document(load_catalogue(str(TOPOLOGY)))
    assert first == second


def test_stdout_by_default_and_nothing_half_written_on_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "asyncapi", "-f", str(TOPOLOGY), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["asyncapi"] == "3.0.0"
    broken = tmp_path / "topology.yaml"
    broken.write_text(TOPOLOGY.read_text(encoding="utf-8").replace("events: [IssueDetectionEvent]", "events: [NoSuchEvent]"),
                      encoding="utf-8")
    shutil.copytree(TOPOLOGY.parent / "schemas", tmp_path / "schemas")
    output = tmp_path / "out" / "asyncapi.yaml"
    output.parent.mkdir()
    output.write_text("the previous document\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["export", "asyncapi", "-f", str(broken), "-o", str(output)])
    assert result.exit_code == 1 and "NoSuchEvent" in result.output
    assert output.read_text(encoding="utf-8") == "the previous document\n"
    assert sorted(path.name for path in output.parent.iterdir()) == ["asyncapi.yaml"]



def test_a_json_schema_draft_4_event_keeps_its_meaning(tmp_path: Path) -> None:
    _, document = export(tmp_path, "-f", str(TRICKY))
    legacy = document["components"]["schemas"]["LegacyPing"]
    assert "$schema" not in legacy
    assert legacy["properties"]["peer"] == {"$ref": "#/components/schemas/LegacyPing/definitions/Peer"}
    assert legacy["properties"]["load"]["exclusiveMaximum"] == 1 and "maximum" not in legacy["properties"]["load"]


def test_a_disabled_rule_receives_nothing(tmp_path: Path) -> None:
    _, document = export(tmp_path, "-f", str(TRICKY))
    assert not any(op.get("x-cabructl-rule", {}).get("logical") == "paused" for op in document["operations"].values())
