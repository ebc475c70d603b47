"""Semantic checks: what a JSON Schema cannot say about a topology.

References between sections, AWS names and limits after prefixing, retention
values CloudWatch accepts, DLQ kinds, patterns, OpenAPI schemas. Each check is a
small function returning diagnostics for model paths; the source map places them.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Optional

from cabructl.topology.targets import target_keys
from cabructl import constants as limits
from cabructl.diagnostics import Diagnostic, Path, did_you_mean
from cabructl.topology.consumer_checks import check_consumers, check_redrive
from cabructl.topology.destination_checks import check_api_destination_urls
from cabructl.topology.input_checks import check_message_groups, check_target_input
from cabructl.topology.key_checks import check_aws_managed_keys, check_keys
from cabructl.topology.model import Topology, agent_publisher_policy_name
from cabructl.topology.pattern_checks import check_patterns_against_schemas
from cabructl.topology.target_checks import check_input_taken, check_target_locations, check_target_parameters
from cabructl.topology.source import SourceMap

Finding = tuple[Path, str, str, Optional[str]]  # path, reference, message, hint


def semantic_diagnostics(topology: Topology, source_map: SourceMap) -> list[Diagnostic]:
    """Run every check; a check never stops the others."""
    diagnostics = []
    for check in CHECKS:
        for path, reference, message, hint, *severity in check(topology):  # a fifth item, if any: "warning"
            diagnostics.append(source_map.diagnostic(path, message, reference=reference, hint=hint,
                                                     severity=severity[0] if severity else "error"))
    return diagnostics


def unknown_finding(path: Path, what: str, name: str, known: Iterable[str]) -> Finding:
    known = list(known)
    return (path, f"unknown-{what.replace(' ', '-')}", f'no {what} "{name}"', did_you_mean(name, known) or (f"known: {', '.join(sorted(known))}" if known else None))


def check_references(topology: Topology) -> Iterator[Finding]:
    """Every logical name used somewhere is declared where it should be."""
    for rule in topology.rules.values():
        for target in rule.targets:
            key = target_keys()[target.kind]
            section = {} if key.referenced else getattr(topology, str(key.section))
            if not key.referenced and target.ref not in section:
                yield unknown_finding(target.path + (target.kind,), target.kind.replace("_", " "), target.ref, section)
            if target.dead_letter is not None and target.dead_letter not in topology.queues:
                yield unknown_finding(target.path + ("dead_letter",), "queue", target.dead_letter, topology.queues)
    for destination in topology.api_destinations.values():
        if destination.connection not in topology.connections:
            yield unknown_finding(destination.path + ("connection",), "connection", destination.connection, topology.connections)
    for queue in topology.queues.values():
        if queue.redrive_dead_letter is not None and queue.redrive_dead_letter not in topology.queues:
            yield unknown_finding(queue.path + ("redrive", "dead_letter"), "queue", queue.redrive_dead_letter, topology.queues)
    for agent in topology.agents.values():
        for index, event in enumerate(agent.events):
            if event not in topology.schemas:
                yield unknown_finding(agent.path + ("events", index), "schema", event, topology.schemas)
            elif topology.schemas[event].source != agent.source:
                schema = topology.schemas[event]
                yield (agent.path + ("events", index), "source-mismatch", f'schema "{event}" has source "{schema.source}" but agent "{agent.name}" publishes as "{agent.source}"', None)
    if topology.cost_alarm is not None:
        for index, action in enumerate(topology.cost_alarm.actions):
            if action not in topology.topics:
                yield unknown_finding(topology.cost_alarm.path + ("actions", index), "topic", action, topology.topics)
    yield from _check_outputs(topology)


def _output_targets(topology: Topology) -> dict[str, tuple[str, ...]]:
    """Which ``section.logical`` prefixes an output may name, and their attributes."""
    targets: dict[str, tuple[str, ...]] = {"bus": ("name", "arn")}
    if topology.registry is not None:
        targets["schemas.registry"] = ("name", "arn")
    if topology.publisher_policy is not None:
        targets["iam.publisher_policy"] = ("name", "arn")
    if topology.idempotency is not None:
        targets["idempotency"] = ("name", "arn")  # the idempotency table consumers are configured with
    targets["iam.agent_publisher_policies"] = ("name", "arn")  # every agent's own publisher policy, a map (maybe empty)
    targets.update({f"iam.agent_publisher_policies.{agent}": ("name", "arn") for agent in topology.agents})
    for section, attributes in (("queues", ("name", "arn", "url")), ("topics", ("name", "arn")), ("log_groups", ("name", "arn")), ("rules", ("name", "arn"))):
        for logical in getattr(topology, section):
            targets[f"{section}.{logical}"] = attributes
    return targets


def _check_outputs(topology: Topology) -> Iterator[Finding]:
    targets = _output_targets(topology)
    for name, reference in topology.outputs.items():
        owner, _, attribute = reference.rpartition(".")
        if owner not in targets:
            yield unknown_finding(("outputs", name), "resource", owner, targets)
        elif attribute not in targets[owner]:
            yield (("outputs", name), "unknown-attribute", f'"{owner}" has no attribute "{attribute}" (it has: {", ".join(targets[owner])})', None)


def name_findings(path: Path, kind: str, name: str) -> Iterator[Finding]:
    """``path`` is the ``name:`` key; the source map falls back to the resource when it is absent."""
    maximum, allowed = limits.NAME_RULES[kind]
    if len(name) > maximum:
        yield (path, "name-too-long", f'{kind} name "{name}" is {len(name)} characters; AWS allows at most {maximum}', "shorten the logical name or set `name:`")
    elif not allowed.match(name):
        yield (path, "invalid-name", f'{kind} name "{name}" has characters AWS does not allow (allowed: {allowed.pattern})', None)


def check_names(topology: Topology) -> Iterator[Finding]:
    """Names after prefixing stay within each kind's AWS length and character set."""
    yield from name_findings(topology.bus.path + ("name",), "bus", topology.bus.name)
    if topology.bus.archive is not None:
        yield from name_findings(topology.bus.archive.path + ("name",), "archive", topology.bus.archive.name)
    if topology.registry is not None:
        yield from name_findings(topology.registry.path + ("name",), "registry", topology.registry.name)
    for schema in topology.schemas.values():
        yield from name_findings(schema.path + ("name",), "schema", schema.name)
    for rule in topology.rules.values():
        yield from name_findings(rule.path + ("name",), "rule", rule.name)
        for target in rule.targets:
            yield from name_findings(target.path + ("id",), "target id", target.id)
    for kind, section in (("queue", topology.queues), ("topic", topology.topics), ("log group", topology.log_groups)):
        for resource in section.values():
            yield from name_findings(resource.path + ("name",), kind, resource.name)
    for kind, resource in (("dashboard", topology.dashboard), ("alarm", topology.cost_alarm), ("policy", topology.publisher_policy)):
        if resource is not None:
            yield from name_findings(resource.path + ("name",), kind, resource.name)
    for agent in topology.agents.values():  # its own publisher policy, named after it
        yield from name_findings(agent.path, "policy", agent_publisher_policy_name(topology, agent.name))


def _out_of_range(path: Path, what: str, value: int, bounds: tuple[int, int], unit: str = "s") -> Iterator[Finding]:
    low, high = bounds
    if not low <= value <= high:
        yield (path, "out-of-range", f"{what} {value}{unit} is outside AWS's range {low}{unit}–{high}{unit}", None)


def check_ranges(topology: Topology) -> Iterator[Finding]:
    """Retention, visibility, long polling and retry values AWS accepts."""
    for queue in topology.queues.values():
        yield from _out_of_range(queue.path + ("retention",), "retention", queue.retention, limits.SQS_RETENTION_RANGE)
        yield from _out_of_range(queue.path + ("visibility_timeout",), "visibility timeout", queue.visibility_timeout, limits.SQS_VISIBILITY_RANGE)
        yield from _out_of_range(queue.path + ("receive_wait",), "receive wait", queue.receive_wait, limits.SQS_RECEIVE_WAIT_RANGE)
        yield from _out_of_range(queue.path + ("delay",), "delay", queue.delay, limits.SQS_DELAY_RANGE)
        if queue.encryption == "kms" and not queue.kms_key and not queue.key:
            yield (queue.path + ("encryption",), "missing-kms-key", "encryption kms needs `kms_key`", None)
    for group in topology.log_groups.values():
        if group.retention_seconds is not None:
            days, rest = divmod(group.retention_seconds, 86_400)
            if rest or days not in limits.LOG_RETENTION_DAYS:
                allowed = ", ".join(str(d) for d in limits.LOG_RETENTION_DAYS)
                yield (group.path + ("retention",), "invalid-retention", f"log retention must be one of CloudWatch Logs' values in days: {allowed}", _nearest_retention(group.retention_seconds / 86_400))
    archive = topology.bus.archive
    if archive is not None and topology.document.get("bus", {}).get("archive", {}).get("retention") is not None:
        from cabructl.topology.durations import parse_duration

        if parse_duration(topology.document["bus"]["archive"]["retention"]) % 86_400:
            yield (archive.path + ("retention",), "invalid-retention", "archive retention is counted in whole days", None)
    for rule in topology.rules.values():
        for target in rule.targets:
            if target.retry is not None:
                yield from _out_of_range(target.path + ("retry", "attempts"), "retry attempts", target.retry.attempts, limits.RETRY_ATTEMPTS_RANGE, unit="")
                yield from _out_of_range(target.path + ("retry", "max_age"), "retry max age", target.retry.max_age_seconds, limits.RETRY_MAX_AGE_RANGE)


def _nearest_retention(days: float) -> str:
    nearest = min(limits.LOG_RETENTION_DAYS, key=lambda allowed: abs(allowed - days))
    return f"did you mean {nearest}d?"


def check_rules(topology: Topology) -> Iterator[Finding]:
    """Per-bus and per-rule quotas, target ids, DLQ kinds, Logs targets without roles."""
    if len(topology.rules) > limits.MAX_RULES_PER_BUS:
        yield (("rules",), "too-many-rules", f"{len(topology.rules)} rules on one bus; AWS allows {limits.MAX_RULES_PER_BUS}", None)
    for rule in topology.rules.values():
        if len(rule.targets) > limits.MAX_TARGETS_PER_RULE:
            yield (rule.path + ("targets",), "too-many-targets", f"{len(rule.targets)} targets; a rule takes at most {limits.MAX_TARGETS_PER_RULE}", None)
        if not rule.targets:
            yield (rule.path + ("targets",), "no-targets", "a rule without targets delivers nowhere", None)
        seen: set[str] = set()
        for target in rule.targets:
            if target.id in seen:
                yield (target.path + ("id",), "duplicate-target-id", f'target id "{target.id}" is used twice in this rule', None)
            seen.add(target.id)
            dlq = topology.queues.get(target.dead_letter or "")
            if dlq is not None and dlq.fifo:
                yield (target.path + ("dead_letter",), "fifo-dead-letter", f'dead-letter queue "{dlq.logical}" is FIFO; EventBridge only delivers to standard queues', None)
            if target.role_arn and not target_keys()[target.kind].takes_role:
                yield (target.path + ("role_arn",), f"{target.kind.replace('_', '-')}-target-role",
                       f"{target.kind.replace('_', ' ')} targets never take a role (AWS rejects it); delivery uses a resource policy", None)


def check_patterns(topology: Topology) -> Iterator[Finding]:
    """Every pattern is valid EventBridge syntax, small enough, and wildcards stay within quota."""
    from cabructl.patterns import uses_wildcard, validate_pattern

    wildcard_rules = []
    for rule in topology.rules.values():
        errors = validate_pattern(rule.pattern)
        for error in errors:
            yield (rule.path + ("pattern",) + tuple(error.path), "invalid-pattern", error.message, None)
        if not errors and uses_wildcard(rule.pattern):
            wildcard_rules.append(rule.logical)
    if len(wildcard_rules) > limits.MAX_WILDCARD_RULES_PER_BUS:
        yield (("rules",), "too-many-wildcard-rules", f"{len(wildcard_rules)} rules use wildcards; AWS allows {limits.MAX_WILDCARD_RULES_PER_BUS} per bus", None)


def check_schemas(topology: Topology) -> Iterator[Finding]:
    """Each schema is OpenAPI 3.0 whose ``required`` names exist in ``properties``."""
    from cabructl.topology.openapi import openapi_problems

    for schema in topology.schemas.values():
        content_path = schema.path + ("content",)
        for relative, message in openapi_problems(schema.name, schema.type, schema.content):
            yield (content_path + relative, "invalid-schema", message, None)
    seen: dict[tuple[str, str], str] = {}
    for schema in topology.schemas.values():
        key = (schema.source, schema.detail_type)
        if key in seen:
            yield (schema.path, "duplicate-event", f'schema "{schema.name}" and "{seen[key]}" declare the same source and detail-type', None)
        seen[key] = schema.name


CHECKS: tuple[Callable[[Topology], Iterator[Finding]], ...] = (
    check_references,
    check_names,
    check_ranges,
    check_rules,
    check_patterns,
    check_schemas,
    check_target_input,
    check_message_groups,
    check_api_destination_urls,
    check_keys,
    check_aws_managed_keys,
    check_target_parameters,
    check_target_locations,
    check_input_taken,
    check_patterns_against_schemas,
    check_redrive,
    check_consumers,
)

