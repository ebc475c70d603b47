"""events.target: where a rule delivers (any target kind), with retry, dead letters, input and the kind's parameters.

Targets cannot be tagged: they are owned through their rule. Every target on a
rule the topology owns is the topology's, so one whose id it does not declare is
deleted. Discovery asks the rule handler which rules are owned, then lists each
owned rule's targets in parallel.

PutTargets writes a target whole, creating or overwriting it, so every change is
in place. PutTargets and RemoveTargets report failures per entry with HTTP 200:
they are checked and raised, never ignored.

Two AWS traps are encoded here (AWS-FACTS): an unset retry policy means AWS's
defaults, on both sides of the diff, and is always sent in full, so
MaximumEventAgeInSeconds is never sent as 0 (terraform-provider-aws#38265); and
a CloudWatch Logs target never carries a RoleArn (AWS rejects it).
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.constants import RETRY_DEFAULTS
from cabructl.errors import AwsError
from cabructl.resources import events_rule
from cabructl.resources.arns import target_arn, queue_arn
from cabructl.resources.base import EPHEMERAL, Context, Handler, Resource, address, canonical_json, compact_json, ephemeral_from_tags
from cabructl.resources.tags import tags_of
from cabructl.resources.delivery_grants import TARGETS_ROLE_ADDRESS, delivery_role_arn, function_grants, targets_role_arn
from cabructl.resources.targets import DEAD_LETTER, kind_of_arn, target_kind
from cabructl.resources.importing import Field, Form, KindImporter
from cabructl.topology.model import RetryPolicy, Rule, Target, Topology

KIND = "events.target"



class TargetHandler(Handler):
    kind = KIND
    section = "rules"
    located_by = ("rule", "bus")  # a target lives on one rule: a renamed rule (or bus) means a new target
    importer = KindImporter(
        lambda topology, logical: target_declaration(topology, logical),
        {"retry.attempts": Field(("retry", "attempts")), "retry.max_age": Field(("retry", "max_age"), Form.SECONDS),
         "role_arn": Field(("role_arn",)), "input": Field(("input",)), "input_path": Field(("input_path",)),
         "message_group": Field(("message_group",)), "partition_key": Field(("partition_key",))},
        {"arn": "where a target delivers is its kind's key (queue, function, …); edit it by hand",
         "http": "HTTP parameters are headers, query and path values; edit `http` by hand",
         "dead_letter_arn": "the dead-letter queue is a reference; edit `dead_letter` by hand",
         "input_transformer": "an input transformer is a paths map and a template; edit `input_transformer` by hand"},
    )
    routes_events = True  # an unmanaged one reroutes events: drift in it is urgent
    # Everything changes in place (PutTargets overwrites); the id within its rule is the identity.

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        granted = {grant.address for grant in function_grants(topology, context)}  # derived once, not per target
        return [self._desired_target(topology, context, rule, target, granted)
                for rule in topology.rules.values() for target in rule.targets]

    def _desired_target(self, topology: Topology, context: Context, rule: Rule, target: Target, granted: set[str]) -> Resource:
        rule_address = address(events_rule.KIND, rule.logical)
        attributes = {
            "arn": target_arn(topology, context, target),
            "retry": declared_retry(target.retry),
            "dead_letter_arn": queue_arn(topology, context, target.dead_letter) if target.dead_letter else None,
            "role_arn": delivery_role_arn(topology, context, target),  # never on Logs (AWS rejects it); the targets role by default
            "input": canonical_input(target.input),
            "input_path": target.input_path,
            "input_transformer": declared_transformer(target),
            "message_group": target.message_group,
            "partition_key": target.partition_key,
            "http": declared_http(target),
        }
        depends_on = [rule_address, *delivery_dependencies(topology, context, rule, target, granted)]
        if target.dead_letter:
            depends_on.append(address(target_kind(DEAD_LETTER).resource_kind, target.dead_letter))
        depends_on += target_kind(target.kind).waits_for  # e.g. the shared Logs resource policy that lets EventBridge write
        identity = {"rule": rule.name, "bus": topology.bus.name}
        return Resource(target_address(rule.logical, target.id), KIND, target.id, attributes, tuple(depends_on), identity,
                        parent=rule_address)

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """The owned rules (the rule handler's discovery), then ListTargetsByRule per rule, in parallel.

        Targets of a rule the topology wants but does not own are left out: the rule
        itself is the conflict, and nothing on it may be touched. The Lambda permission
        handler asks for the same targets (the functions they invoke); ``aws.memo`` lists them once.
        """
        rules = events_rule.HANDLER
        wanted = rules.desired(topology, context)
        key = (KIND, topology.bus.name, tuple(sorted(rule.name for rule in wanted)))
        return list(aws.memo(key, lambda: self._discover(aws, topology, context, wanted)))

    def _discover(self, aws: Any, topology: Topology, context: Context, wanted: list[Resource]) -> list[Resource]:
        owned = [rule for rule in events_rule.HANDLER.discover(aws, topology, context, wanted) if rule.owned]
        per_rule = parallel_map(lambda rule: self._read(aws, topology, context, rule), owned, aws.settings.max_workers)
        return [target for targets in per_rule for target in targets]

    def _read(self, aws: Any, topology: Topology, context: Context, rule: Resource) -> list[Resource]:
        bus = rule.identity["bus"]
        listed = aws.find(lambda: aws.paginate("events", "list_targets_by_rule", "Targets", Rule=rule.name, EventBusName=bus)) or []
        rule_logical = rule.address[len(events_rule.KIND) + 1:]
        identity = {"rule": rule.name, "bus": bus}
        return [
            Resource(target_address(rule_logical, target["Id"]), KIND, target["Id"], live_attributes(target),
                     granted_by(topology, context, rule_logical, target["Arn"]),
                     {**identity, **ephemeral_identity(aws, topology, target)}, parent=rule.address)
            for target in listed
        ]

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        self._put(aws, resource)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        self._put(aws, desired)  # PutTargets overwrites the whole target: in place, never a replace

    def _put(self, aws: Any, resource: Resource) -> None:
        identity = resource.identity
        entry = target_entry(resource)
        kind = kind_of_arn(entry["Arn"])
        if kind is not None and kind.resolve_arn is not None:
            entry["Arn"] = kind.resolve_arn(aws, entry["Arn"])  # the whole ARN, with the id AWS gave it
        request = {"Rule": identity["rule"], "EventBusName": identity["bus"], "Targets": [entry]}
        response = aws.settle(lambda: aws.client("events").put_targets(**request), propagating=True)  # a new rule propagates
        raise_failed_entries(response, f"putting target {resource.address}")

    def delete(self, aws: Any, live: Resource) -> None:
        request = {"Rule": live.identity["rule"], "EventBusName": live.identity["bus"], "Ids": [live.name]}
        # NotFound means the rule, and with it the target, is gone: deleted already.
        response = aws.find(lambda: aws.client("events").remove_targets(**request))
        raise_failed_entries(response, f"removing target {live.address}")


# A command's temporary target (``cabructl tail``) has an id with this prefix and delivers to a
# temporary queue, whose tags carry the lease (resources.base.EPHEMERAL): targets cannot be tagged.
EPHEMERAL_TARGET_PREFIX = "cabructl-tail-"


def ephemeral_identity(aws: Any, topology: Topology, target: Mapping[str, Any]) -> dict[str, Any]:
    """``{EPHEMERAL: …}`` for a temporary target, its queue's lease; nothing for a lasting one.

    A temporary target whose queue is gone is a leftover (its lease ended); one whose queue carries
    no lease is no temporary target at all, but an undeclared one (deleted as such).
    """
    if not str(target.get("Id", "")).startswith(EPHEMERAL_TARGET_PREFIX) or not str(target.get("Arn", "")).startswith("arn:"):
        return {}
    arn = str(target["Arn"])
    if arn.split(":")[2:3] != ["sqs"]:
        return {}
    tags = tags_of(aws, topology, arn, lambda: _queue_tags(aws, arn))
    if tags is None:
        return {EPHEMERAL: {"made_by": "cabructl tail", "lease_until": 0.0}}
    record = ephemeral_from_tags(tags)
    return {EPHEMERAL: record} if record else {}


def _queue_tags(aws: Any, arn: str) -> dict[str, str] | None:
    """A queue's tags by its ARN, or None when the queue does not exist."""
    _, _, _, _, account, name = arn.split(":", 5)
    client = aws.client("sqs")
    found = aws.find(lambda: client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account))
    if not found:
        return None
    return aws.find(lambda: client.list_queue_tags(QueueUrl=found["QueueUrl"]).get("Tags", {}))


def ephemeral_target(rule: Resource, target_id: str, queue: Resource) -> Resource:
    """A temporary target on the live ``rule`` that delivers every matched event, as it is, to ``queue``.

    In the canonical form discovery reads back (AWS's retry defaults, no input, no role: SQS is
    reached through the queue's policy), so the apply's read-back finds it as written.
    """
    attributes = live_attributes({"Id": target_id, "Arn": queue.identity["arn"]})
    identity = {"rule": rule.name, "bus": rule.identity["bus"]}
    rule_logical = rule.address[len(events_rule.KIND) + 1:]
    return Resource(target_address(rule_logical, target_id), KIND, target_id, attributes, (rule.address, queue.address),
                    identity, parent=rule.address)


def granted_by(topology: Topology, context: Context, rule_logical: str, arn: str) -> tuple[str, ...]:
    """The statement a live target to a referenced resource delivers through (a function's permission
    for its rule), which no ARN in the target names: a delete of both removes the target first."""
    kind = kind_of_arn(arn)
    if kind is None or kind.resource_kind is not None or kind.delivery is None:
        return ()
    return (address(kind.delivery.policy_kind, kind.delivery.policy_logical(topology, context, rule_logical, arn)),)


def delivery_dependencies(topology: Topology, context: Context, rule: Rule, target: Target, granted: set[str]) -> list[str]:
    """What must exist before EventBridge can deliver: the owned destination, the role it
    delivers through, or the function permission (among those ``granted``) that lets the rule invoke."""
    kind = target_kind(target.kind)
    dependencies = [address(kind.resource_kind, target.ref)] if kind.resource_kind else []
    if delivery_role_arn(topology, context, target) == targets_role_arn(topology, context):
        dependencies.append(TARGETS_ROLE_ADDRESS)
    dependencies += [grant for grant in granted_by(topology, context, rule.logical, target_arn(topology, context, target))
                     if grant in granted]
    return dependencies


def target_declaration(topology: Topology, logical: str) -> Any:
    """The declared target at ``<rule>/<id>``, or None."""
    rule_logical, _, target_id = logical.partition("/")
    rule = topology.rules.get(rule_logical)
    return next((target for target in rule.targets if target.id == target_id), None) if rule else None


def target_address(rule_logical: str, target_id: str) -> str:
    """``events.target.<rule logical name>/<target id>``: ids are unique only within their rule."""
    return address(KIND, f"{rule_logical}/{target_id}")


def canonical_retry(attempts: int | None, max_age: int | None) -> dict[str, int]:
    """A retry policy with AWS's defaults (185 attempts, 24 h) in every unset field.

    AWS reports no RetryPolicy, or a partial one, when defaults apply; the topology
    may omit it too. Filling both sides the same way keeps the plan empty
    (CloudFormation's false drift, coverage-roadmap#956, #968, #1605).
    """
    return {
        "attempts": RETRY_DEFAULTS["attempts"] if attempts is None else attempts,
        "max_age": RETRY_DEFAULTS["max_age"] if max_age is None else max_age,
    }


def declared_retry(retry: RetryPolicy | None) -> dict[str, int]:
    """The topology's retry policy in canonical form; none declared means AWS's defaults."""
    return canonical_retry(retry.attempts, retry.max_age_seconds) if retry else canonical_retry(None, None)


def canonical_input(text: str | None) -> str | None:
    """Constant input as compact JSON text, so whitespace and key order never show as a
    change; text that is not JSON is kept as written (AWS will refuse it)."""
    if text is None:
        return None
    value = canonical_json(text)
    return text if value is text else compact_json(value)


def live_attributes(target: Mapping[str, Any]) -> dict[str, Any]:
    """A ListTargetsByRule entry → the canonical form."""
    retry = target.get("RetryPolicy") or {}
    return {
        "arn": canonical_target_arn(target["Arn"]),
        "retry": canonical_retry(retry.get("MaximumRetryAttempts"), retry.get("MaximumEventAgeInSeconds")),
        "dead_letter_arn": (target.get("DeadLetterConfig") or {}).get("Arn"),
        "role_arn": target.get("RoleArn"),
        "input": canonical_input(target.get("Input")),
        "input_path": target.get("InputPath"),
        "input_transformer": live_transformer(target.get("InputTransformer")),
        "message_group": (target.get("SqsParameters") or {}).get("MessageGroupId"),
        "partition_key": (target.get("KinesisParameters") or {}).get("PartitionKeyPath"),
        "http": live_http(target.get("HttpParameters")),
    }


def canonical_target_arn(arn: str) -> str:
    """A live target ARN in the form a plan compares (an API destination's AWS id removed)."""
    kind = kind_of_arn(arn)
    return kind.canonical_arn(arn) if kind is not None else arn


def declared_http(target: Target) -> dict[str, Any] | None:
    """The declared HttpParameters in the form compared with live ones (empty parts left out, as AWS does)."""
    if target.http is None:
        return None
    return _http_form(target.http.headers, target.http.query, list(target.http.path_parameters))


def live_http(parameters: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not parameters:
        return None
    return _http_form(parameters.get("HeaderParameters") or {}, parameters.get("QueryStringParameters") or {},
                      list(parameters.get("PathParameterValues") or []))


def _http_form(headers: Mapping[str, str], query: Mapping[str, str], path_parameters: list[str]) -> dict[str, Any] | None:
    form = {"headers": dict(sorted(headers.items())), "query": dict(sorted(query.items())), "path_parameters": path_parameters}
    return {key: value for key, value in form.items() if value} or None


def declared_transformer(target: Target) -> dict[str, Any] | None:
    """The declared input transformer in the form compared with live ones."""
    if target.input_transformer is None:
        return None
    return {"paths": dict(sorted(target.input_transformer.paths.items())), "template": target.input_transformer.template}


def live_transformer(transformer: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A live InputTransformer in the same form (AWS omits an empty paths map)."""
    if not transformer:
        return None
    return {"paths": dict(sorted((transformer.get("InputPathsMap") or {}).items())), "template": transformer.get("InputTemplate", "")}


def target_entry(resource: Resource) -> dict[str, Any]:
    """One PutTargets entry. The retry policy always goes in full (never an age of 0)."""
    attributes = resource.attributes
    retry = attributes["retry"]
    entry: dict[str, Any] = {
        "Id": resource.name,
        "Arn": attributes["arn"],
        "RetryPolicy": {"MaximumRetryAttempts": retry["attempts"], "MaximumEventAgeInSeconds": retry["max_age"]},
    }
    if attributes["dead_letter_arn"]:
        entry["DeadLetterConfig"] = {"Arn": attributes["dead_letter_arn"]}
    if attributes["role_arn"]:
        entry["RoleArn"] = attributes["role_arn"]
    if attributes["input"] is not None:
        entry["Input"] = attributes["input"]
    if attributes.get("input_path") is not None:
        entry["InputPath"] = attributes["input_path"]
    transformer = attributes.get("input_transformer")
    if transformer is not None:
        entry["InputTransformer"] = {"InputPathsMap": dict(transformer["paths"]), "InputTemplate": transformer["template"]}
    if attributes.get("message_group") is not None:
        entry["SqsParameters"] = {"MessageGroupId": attributes["message_group"]}
    if attributes.get("partition_key") is not None:
        entry["KinesisParameters"] = {"PartitionKeyPath": attributes["partition_key"]}
    http = attributes.get("http")
    if http:
        entry["HttpParameters"] = {name: http[key] for key, name in HTTP_PARAMETERS.items() if http.get(key)}
    return entry


HTTP_PARAMETERS = {"headers": "HeaderParameters", "query": "QueryStringParameters", "path_parameters": "PathParameterValues"}


def raise_failed_entries(response: Mapping[str, Any] | None, doing: str) -> None:
    """PutTargets/RemoveTargets answer 200 even when an entry failed: turn that into an error."""
    if not response or not response.get("FailedEntryCount"):
        return
    failures = "; ".join(f"{entry.get('TargetId')}: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}"
                         for entry in response.get("FailedEntries", []))
    raise AwsError(f"{doing}: {failures}")


HANDLER = TargetHandler()
