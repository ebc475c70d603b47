"""Checks of what a target receives: its input settings, their paths, and FIFO message groups.

AWS validates ``Input``, ``InputPath`` and ``InputTransformer`` only partly at PutTargets and
never checks that a path can select anything: a misspelt ``$.detail.severty`` delivers an
empty value forever. So each path is checked against the schemas of the events that can
reach the rule (those whose source and detail-type the pattern admits), with a "did you
mean" for a misspelt field. A FIFO queue target needs a message group (PutTargets fails
without one); a standard queue refuses one.
"""

from __future__ import annotations

from typing import Iterator, Optional

from cabructl.diagnostics import Path, did_you_mean
from cabructl.topology.model import EventSchema, Target, Topology
from cabructl.topology.schema_paths import ENVELOPE_FIELDS, lookup, reaching_schemas

Finding = tuple[Path, str, str, Optional[str]]


def check_target_input(topology: Topology) -> Iterator[Finding]:
    """Every target's input settings as PutTargets would take them, and every path they use."""
    from cabructl.patterns.transform import target_input_problems

    for rule in topology.rules.values():
        schemas: list[EventSchema] | None = None
        for target in rule.targets:
            entry = target.put_targets_input()
            for problem in target_input_problems(entry):
                yield (target.path + _setting(target), "invalid-target-input", problem, None)
            for path, text in target_paths(target):
                if schemas is None:
                    schemas = reaching_schemas(topology, rule)
                yield from _path_findings(target.path + path, text, schemas)


def check_message_groups(topology: Topology) -> Iterator[Finding]:
    """FIFO queue targets name a message group; nothing else does."""
    for rule in topology.rules.values():
        for target in rule.targets:
            queue = topology.queues.get(target.ref) if target.kind == "queue" else None
            fifo = queue is not None and queue.fifo
            if fifo and target.message_group is None:
                yield (target.path, "fifo-target-without-group",
                       f'queue "{target.ref}" is FIFO: its target needs `message_group` (SqsParameters.MessageGroupId)',
                       "add e.g. `message_group: " + rule.logical + "`")
            elif not fifo and target.message_group is not None:
                yield (target.path + ("message_group",), "message-group-on-standard-target",
                       "`message_group` is for FIFO queue targets only", None)


def _setting(target: Target) -> Path:
    """Where a target's input problem is reported: the one setting it has, or the target itself."""
    given = [key for key in ("input", "input_path", "input_transformer") if getattr(target, key) is not None]
    return (given[0],) if len(given) == 1 else ()


def target_paths(target: Target) -> Iterator[tuple[Path, str]]:
    """(where in the target, JSONPath) for every path the target's input uses."""
    if target.input_path is not None:
        yield ("input_path",), target.input_path
    if target.input_transformer is not None:
        for name, text in target.input_transformer.paths.items():
            yield ("input_transformer", "paths", name), text
    if target.partition_key is not None:
        yield ("partition_key",), target.partition_key
    if target.http is not None:  # a header or query value that is a path is filled from the event
        for part, values in (("headers", target.http.headers), ("query", target.http.query)):
            yield from ((("http", part, name), text) for name, text in values.items() if text.startswith("$."))


def _path_findings(where: Path, text: str, schemas: list[EventSchema]) -> Iterator[Finding]:
    from cabructl.patterns.transform import parse_path

    try:
        steps = parse_path(text)
    except ValueError as error:
        yield (where, "invalid-json-path", str(error), "EventBridge paths look like $.detail.severity or $.resources[0]")
        return
    if not steps or not isinstance(steps[0], str):
        return
    if steps[0] not in ENVELOPE_FIELDS:
        yield (where, "unknown-event-field", f'{text}: an event has no field "{steps[0]}"', did_you_mean(steps[0], ENVELOPE_FIELDS))
        return
    if steps[0] != "detail" or not schemas:
        return
    misses = [lookup(schema, steps[1:]).missing for schema in schemas]
    if all(miss is not None for miss in misses):
        field, known = next(miss for miss in misses if miss is not None)
        names = ", ".join(schema.name for schema in schemas)
        yield (where, "unknown-event-field", f'{text}: "{field}" is in no schema of the events this rule receives ({names})',
               did_you_mean(field, known) or (f"known: {', '.join(sorted(known))}" if known else None))
