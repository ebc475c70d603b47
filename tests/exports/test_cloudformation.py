"""`cabructl export cloudformation`: a template cfn-lint accepts, describing exactly what cabructl would create.

Every topology of the repository (the real one, examples/, the good fixtures) is exported and
linted, and the template is read back — references resolved in the offline context, each
resource brought to its handler's canonical form — and compared, address by address, with the
desired state a plan is made of. No cfn-lint rule is ignored: :data:`IGNORED_RULES` says why
if one ever must be.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from cabructl.cli import cli
from cabructl.engine.state import desired_state
from cabructl.exports.cloudformation import cloudformation_template, render_template
from cabructl.resources import handlers
from cabructl.resources.base import Context, Resource, offline_context
from cabructl.resources.cloudformation import mapping_for, missing_mappings
from cabructl.resources.cloudformation.intrinsics import Known, Namer, resolve
from cabructl.resources.cloudformation.reading import read_template
from cabructl.topology import load_topology
from support import ROOT, TOPOLOGY

GOOD = ROOT / "tests" / "fixtures" / "topologies" / "good"
ALL_TARGETS = ROOT / "examples" / "all-targets.yaml"
TOPOLOGIES = [(TOPOLOGY, None), (TOPOLOGY, "dev"), *((path, None) for path in sorted((ROOT / "examples").glob("*.yaml"))),
              *((path, None) for path in sorted(GOOD.glob("*/topology.yaml")))]
IDS = [f"{path.relative_to(ROOT)}{'@' + env if env else ''}" for path, env in TOPOLOGIES]
# cfn-lint rule id → why the exported templates may break it. Empty: every template passes every
# error and warning rule as it is.
IGNORED_RULES: dict[str, str] = {}


@functools.lru_cache(maxsize=None)
def exported(path: Path, env: str | None) -> tuple[str, dict[str, Any], dict[str, Resource], Any]:
    """The rendered template, it parsed back from YAML, the desired state, and the offline context."""
    topology = load_topology(str(path), env)
    context = offline_context(topology)
    text = render_template(cloudformation_template(topology))
    return text, YAML(typ="safe", pure=True).load(text), desired_state(topology, context, handlers()), context


@pytest.mark.parametrize(("path", "env"), TOPOLOGIES, ids=IDS)
def test_cfn_lint_finds_no_error_and_no_warning(path: Path, env: str | None) -> None:
    from cfnlint.api import lint

    text, template, _, _ = exported(path, env)
    findings = [match for match in lint(text, regions=[template["Metadata"]["cabructl"]["region"]])
                if match.rule.id[0] in "EW" and match.rule.id not in IGNORED_RULES]
    assert not findings, "\n".join(f"{match.rule.id} {match.linenumber}: {match.message}" for match in findings)


@pytest.mark.parametrize(("path", "env"), TOPOLOGIES, ids=IDS)
def test_the_template_describes_the_desired_state_address_by_address(path: Path, env: str | None) -> None:
    _, template, desired, context = exported(path, env)
    described = read_template(template, context)
    assert sorted(described) == sorted(desired)
    for address, resource in desired.items():
        mapping, back = mapping_for(resource.kind), described[address]
        if "name" not in mapping.left_out:
            assert back.name == resource.name, address
        assert mapping.comparable(back.attributes) == mapping.comparable(plain(resource.attributes)), address


def plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_a_template_that_says_something_else_is_told_apart() -> None:
    """The comparison is not vacuous: a retention changed in the template no longer matches."""
    _, template, desired, context = exported(TOPOLOGY, None)
    changed = json.loads(json.dumps(template))
    changed["Resources"]["QueueEventbridgeDlq"]["Properties"]["MessageRetentionPeriod"] = 60
    back = read_template(changed, context)["sqs.queue.eventbridge-dlq"]
    assert back.attributes["retention"] == 60 != desired["sqs.queue.eventbridge-dlq"].attributes["retention"]


def test_every_kind_cabructl_creates_has_a_mapping() -> None:
    assert missing_mappings(handler.kind for handler in handlers()) == []


def test_the_topologies_above_exercise_every_kind_both_ways() -> None:
    """A new kind needs a topology here that creates it, or its mapping is never compared."""
    exercised = {resource.kind for path, env in TOPOLOGIES for resource in exported(path, env)[2].values()}
    assert exercised == {handler.kind for handler in handlers()}


def test_the_idempotency_table_is_in_the_template() -> None:
    _, template, _, _ = exported(TOPOLOGY, None)
    tables = [entry for entry in template["Resources"].values() if entry["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 1
    assert tables[0]["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert tables[0]["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_resources_name_each_other_by_reference_never_by_the_offline_account() -> None:
    text, template, _, _ = exported(TOPOLOGY, None)
    assert "123456789012" not in text
    rule = template["Resources"]["RuleFeatureRequestRouting"]["Properties"]
    assert rule["EventBusName"] == {"Fn::GetAtt": ["Bus", "Name"]}
    target = rule["Targets"][0]
    assert target["Arn"] == {"Fn::GetAtt": ["QueueProductRequests", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["QueueEventbridgeDlq", "Arn"]}}
    assert "QueueProductRequestsPolicy" in template["Resources"]["RuleFeatureRequestRouting"]["DependsOn"]


def test_targets_keep_their_retry_policy_dead_letter_and_input_settings() -> None:
    _, template, desired, _ = exported(ALL_TARGETS, None)
    entries = {entry["Id"]: entry for resource in template["Resources"].values() if resource["Type"] == "AWS::Events::Rule"
               for entry in resource["Properties"].get("Targets", [])}
    for resource in desired.values():
        if resource.kind == "events.target":
            entry = entries[resource.name]
            retry = resource.attributes["retry"]
            assert entry["RetryPolicy"] == {"MaximumRetryAttempts": retry["attempts"], "MaximumEventAgeInSeconds": retry["max_age"]}
            assert ("DeadLetterConfig" in entry) == bool(resource.attributes["dead_letter_arn"])
            assert ("RoleArn" in entry) == bool(resource.attributes["role_arn"])
            assert ("InputTransformer" in entry) == bool(resource.attributes["input_transformer"])


def test_a_connection_secret_is_a_no_echo_parameter_never_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_WEBHOOK_KEY", "s3cr3t-webhook-key")
    text = render_template(cloudformation_template(load_topology(str(ALL_TARGETS), None)))
    template = YAML(typ="safe", pure=True).load(text)
    assert "s3cr3t-webhook-key" not in text
    parameter = template["Parameters"]["ConnectionCiSecret"]
    assert parameter["NoEcho"] is True and "CI_WEBHOOK_KEY" in parameter["Description"]
    auth = template["Resources"]["ConnectionCi"]["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]
    assert auth["ApiKeyValue"] == {"Ref": "ConnectionCiSecret"}


def test_what_holds_data_is_retained_by_the_stack() -> None:
    _, template, _, _ = exported(TOPOLOGY, None)
    retained = {entry["Type"] for entry in template["Resources"].values() if entry.get("DeletionPolicy") == "Retain"}
    assert {"AWS::SQS::Queue", "AWS::Events::Archive", "AWS::Logs::LogGroup", "AWS::DynamoDB::Table"} <= retained
    assert "AWS::Events::Rule" not in retained


def test_the_topology_outputs_are_stack_outputs() -> None:
    _, template, _, _ = exported(TOPOLOGY, None)
    outputs = template["Outputs"]
    assert outputs["EventBusArn"]["Value"] == {"Fn::GetAtt": ["Bus", "Arn"]}
    assert outputs["DlqUrl"]["Value"] == {"Ref": "QueueEventbridgeDlq"}
    assert outputs["EventBusArn"]["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-event-bus-arn"}
    assert {key for key in outputs if key.startswith("AgentPublisherPolicyArns")} == {
        "AgentPublisherPolicyArnsDeveloper", "AgentPublisherPolicyArnsMonitor", "AgentPublisherPolicyArnsProduct",
        "AgentPublisherPolicyArnsTester"}


def test_the_command_writes_the_file_whole(tmp_path: Path) -> None:
    output = tmp_path / "template.yaml"
    result = CliRunner().invoke(cli, ["export", "cloudformation", "-f", str(TOPOLOGY), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8") == exported(TOPOLOGY, None)[0]


def test_the_command_prints_the_template_without_a_file() -> None:
    result = CliRunner().invoke(cli, ["export", "cloudformation", "-f", str(TOPOLOGY), "--env", "dev"])
    assert result.exit_code == 0, result.output
    assert result.output == exported(TOPOLOGY, "dev")[0]


def test_an_invalid_topology_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    broken = tmp_path / "topology.yaml"
    broken.write_text("project: [unclosed\n", encoding="utf-8")
    output = tmp_path / "template.yaml"
    output.write_text("the previous template\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["export", "cloudformation", "-f", str(broken), "-o", str(output)])
    assert result.exit_code == 1
    assert output.read_text(encoding="utf-8") == "the previous template\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["template.yaml", "topology.yaml"]


# -- references, both ways ---------------------------------------------------------------
CONTEXT = Context(account_id="123456789012", region="sa-east-1")
JOBS = "arn:aws:sqs:sa-east-1:123456789012:jobs"


def namer() -> Namer:
    names = Namer(CONTEXT)
    names.add_arn(JOBS, Known("sqs.queue.jobs", "${QueueJobs.Arn}"))
    return names


def offline_jobs(logical: str, attribute: str | None) -> str:
    assert (logical, attribute) == ("QueueJobs", "Arn")
    return JOBS


def test_text_that_looks_like_a_substitution_survives_the_round_trip() -> None:
    text = f'{{"queue":"{JOBS}","literal":"${{not-a-reference}}"}}'
    value = namer().reference(text, lambda address: True)
    assert value == {"Fn::Sub": '{"queue":"${QueueJobs.Arn}","literal":"${!not-a-reference}"}'}
    assert resolve(value, offline_jobs, CONTEXT) == text


def test_a_resource_that_may_not_reference_another_names_it_in_the_stacks_own_account() -> None:
    value = namer().reference([JOBS, f"{JOBS}-dlq"], lambda address: False)
    assert value == [{"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs"},
                     {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs-dlq"}]
    assert resolve(value, offline_jobs, CONTEXT) == [JOBS, f"{JOBS}-dlq"]


def test_an_arn_is_never_taken_for_the_start_of_a_longer_one() -> None:
    assert namer().reference(f"{JOBS}-dlq", lambda address: True) == {
        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs-dlq"}
    assert namer().reference(JOBS, lambda address: True) == {"Fn::GetAtt": ["QueueJobs", "Arn"]}


def test_another_accounts_arn_keeps_its_account() -> None:
    assert namer().reference("arn:aws:iam::111122223333:root", lambda address: True) == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::111122223333:root"}


def test_a_queue_no_rule_delivers_to_has_no_policy_and_nothing_waits_for_one(tmp_path: Path) -> None:
    """A redrive-only dead-letter queue needs no queue policy: nothing may depend on one that is not there."""
    from cfnlint.api import lint
    from support import edit_topology

    folder = tmp_path / "fixture"
    folder.mkdir()
    source = GOOD / "minimal-queue"
    (folder / "schemas").mkdir()
    (folder / "schemas" / "PingEvent.yaml").write_text((source / "schemas" / "PingEvent.yaml").read_text(), encoding="utf-8")
    topology = folder / "topology.yaml"
    topology.write_text((source / "topology.yaml").read_text(), encoding="utf-8")
    edit_topology(topology, "  inbox:\n    retention: 1d\n",
                  "  inbox:\n    retention: 1d\n    redrive: {dead_letter: poison, max_receives: 3}\n  poison:\n    retention: 14d\n")
    text = render_template(cloudformation_template(load_topology(str(topology), None)))
    template = YAML(typ="safe", pure=True).load(text)
    assert "QueuePoison" in template["Resources"] and "QueuePoisonPolicy" not in template["Resources"]
    assert not [match for match in lint(text, regions=["sa-east-1"]) if match.rule.id[0] in "EW"]
