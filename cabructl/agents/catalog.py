"""What the topology says about publishing: schemas, validators, which agent sends what.

The SDK reads topology.yaml rather than constants so that the file that
provisions the registry and the rules is the file that shapes and checks every
event. Loading a topology (YAML, JSON Schema, checks) and compiling a validator
are the expensive steps, so both are cached for the life of the process:
topologies by (file, environment, modification time), validators by the
content of the schema they check.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from cabructl.agents.errors import EventValidationError, ImpersonationError, UnknownEventError
from cabructl.agents.events import GenericEvent

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.topology.model import Agent, EventSchema, Topology

TOPOLOGY_ENV = "CABRUCTL_FILE"
DEFAULT_TOPOLOGY_FILE = "topology.yaml"
DETAIL_PATH_ROOT = "detail"

_topologies: dict[tuple[str, str | None, int], "Topology"] = {}
_topologies_lock = threading.Lock()


def find_topology_file(explicit: str | None = None) -> str:
    """``explicit``, else ``$CABRUCTL_FILE``, else ``./topology.yaml`` — the CLI's own order."""
    return explicit or os.environ.get(TOPOLOGY_ENV) or DEFAULT_TOPOLOGY_FILE


def cached_topology(file: str | None = None, env: str | None = None) -> "Topology":
    """The loaded topology, parsed once per process unless the file changed since."""
    from cabructl.topology import load_topology

    path = os.path.abspath(find_topology_file(file))
    try:
        modified = os.stat(path).st_mtime_ns
    except OSError:
        modified = -1  # let load_topology report the missing file in its own words
    key = (path, env, modified)
    with _topologies_lock:
        if key not in _topologies:
            _topologies[key] = load_topology(find_topology_file(file), env)
        return _topologies[key]


def _format_checker() -> Any:
    """jsonschema's checker, with a stdlib date-time check if ``rfc3339-validator`` is absent.

    Without that optional package jsonschema silently accepts any string as a
    date-time; the schemas rely on the check, so it must never be skipped.
    """
    from jsonschema import FormatChecker

    checker = FormatChecker()
    if "date-time" not in checker.checkers:
        checker.checks("date-time", raises=ValueError)(_is_rfc3339)
    return checker


def _is_rfc3339(value: object) -> bool:
    """A full date and time with a time zone (RFC 3339's requirement); non-strings pass, as in jsonschema."""
    from datetime import datetime

    if not isinstance(value, str):
        return True
    if len(value) < 20 or value[10] not in "Tt":
        return False
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed.tzinfo is not None


@functools.lru_cache(maxsize=None)
def _compiled_validator(schema_json: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_format_checker())


def validator_for(detail_schema: Mapping[str, Any]) -> Any:
    """The compiled validator of a detail JSON Schema; one per distinct schema, per process."""
    return _compiled_validator(json.dumps(detail_schema, sort_keys=True))


def field_path(path: Any) -> str:
    """``("files", 0, "path")`` → ``detail.files[0].path``: the spelling users see in events."""
    text = DETAIL_PATH_ROOT
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def describe_error(error: Any) -> str:
    """One line per failure, led by the field it concerns."""
    if error.validator == "required":
        missing = error.message.split("'")[1] if error.message.count("'") >= 2 else error.message
        return f"{field_path(list(error.absolute_path) + [missing])}: is required"
    return f"{field_path(error.absolute_path)}: {error.message}"


TOPOLOGY_VERSION = "topology"


@dataclass(frozen=True)
class EventKind:
    """One schema of the topology, ready to validate against: its content in the topology, or a named
    version from the registry (for a migration window after an incompatible change)."""

    schema: "EventSchema"
    validator: Any
    version: str = TOPOLOGY_VERSION  # what events are validated against: the topology's content, or a registry version

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def source(self) -> str:
        return self.schema.source

    @property
    def detail_type(self) -> str:
        return self.schema.detail_type

    def problems(self, detail: Mapping[str, Any]) -> list[str]:
        errors = sorted(self.validator.iter_errors(detail), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        return [describe_error(error) for error in errors]

    def validate(self, detail: Mapping[str, Any]) -> None:
        """Raise :class:`EventValidationError` naming every failing field."""
        problems = self.problems(detail)
        if problems:
            raise EventValidationError(self.detail_type, problems)


class EventCatalog:
    """The topology's event kinds, looked up by schema name, detail-type or (source, detail-type)."""

    def __init__(self, topology: "Topology") -> None:
        from cabructl.topology.openapi import detail_json_schema

        self.topology = topology
        self._versions: dict[tuple[str, str], EventKind] = {}
        self._versions_lock = threading.Lock()
        self.kinds: dict[str, EventKind] = {
            name: EventKind(schema, validator_for(detail_json_schema(schema.type, schema.content, schema.name)))
            for name, schema in topology.schemas.items()
        }

    def kind(self, name_or_detail_type: str) -> EventKind:
        """By schema name (``IssueDetectionEvent``) or detail-type (``Issue Detection Event``)."""
        if name_or_detail_type in self.kinds:
            return self.kinds[name_or_detail_type]
        for kind in self.kinds.values():
            if kind.detail_type == name_or_detail_type:
                return kind
        known = ", ".join(sorted(self.kinds))
        raise UnknownEventError(f'the topology declares no event "{name_or_detail_type}" (schemas: {known})')

    def kind_at_version(self, name_or_detail_type: str, version: str, aws: Any) -> EventKind:
        """The kind validated against ``version`` of its schema in the topology's registry (read once)."""
        import dataclasses

        from cabructl.topology.openapi import detail_json_schema

        current = self.kind(name_or_detail_type)
        key = (current.name, str(version))
        with self._versions_lock:
            if key not in self._versions:
                content = self._registry_version(current.schema, str(version), aws)
                schema = dataclasses.replace(current.schema, content=content)
                self._versions[key] = EventKind(schema, validator_for(detail_json_schema(schema.type, content, schema.name)), str(version))
            return self._versions[key]

    def _registry_version(self, schema: "EventSchema", version: str, aws: Any) -> dict[str, Any]:
        registry = self.topology.registry.name if self.topology.registry else None
        if registry is None:
            raise UnknownEventError(f"the topology declares no schema registry to read version {version} of {schema.name} from")
        found = aws.find(lambda: aws.client("schemas").describe_schema(RegistryName=registry, SchemaName=schema.name,
                                                                       SchemaVersion=version))
        if found is None:
            raise UnknownEventError(f'no version "{version}" of schema {schema.name} in registry {registry}',
                                    hint="the registry's versions: aws schemas list-schema-versions")
        return json.loads(found["Content"])

    def kind_for_entry(self, source: str, detail_type: str) -> EventKind:
        """The schema an entry in PutEvents form claims to follow."""
        schema = self.topology.schema_for(source, detail_type)
        if schema is None:
            raise UnknownEventError(f'the topology declares no schema for source "{source}" and detail-type "{detail_type}"')
        return self.kinds[schema.name]

    def generic_event(self, source: str, detail_type: str, detail: Any, *, bus: str | None = None,
                      resources: Sequence[str] = (), time: datetime | None = None) -> GenericEvent:
        """The event an entry in PutEvents form (or an event read back from a queue) describes."""
        if not isinstance(detail, dict):
            raise UnknownEventError(f"the detail of a {detail_type} event must be a JSON object, not {type(detail).__name__}")
        return GenericEvent(self.kind_for_entry(source, detail_type).name, detail, bus, list(resources), time)

    def agent_for(self, kind: EventKind, agent_name: str | None = None) -> "Agent":
        """The topology agent publishing ``kind``: the named one (which must declare it) or its only declarer."""
        if agent_name is not None:
            return self.own_agent(kind, agent_name)
        declarers = [agent for agent in self.topology.agents.values() if kind.name in agent.events]
        if len(declarers) != 1:
            names = ", ".join(agent.name for agent in declarers) or "none"
            raise UnknownEventError(f"{kind.name} is declared by {len(declarers)} agents ({names}); name the agent",
                                    hint="EventBridgeAgent(..., agent=NAME) or --agent NAME")
        return declarers[0]

    def agent_named_by(self, agent_id: str) -> str | None:
        """The topology agent an ``agent_id`` names: ``monitor`` or ``monitor-001`` (``<agent>-…``,
        ``<agent>_…``; the longest name wins), else None."""
        named = [name for name in self.topology.agents
                 if agent_id == name or agent_id.startswith((f"{name}-", f"{name}_"))]
        return max(named, key=len, default=None)

    def own_agent(self, kind: EventKind, agent_name: str) -> "Agent":
        """``agent_name``'s agent, refusing an event it does not declare: one agent never publishes
        another's source or detail-type. Names the agent and what it may publish."""
        agent = self.agent(agent_name)
        if kind.name in agent.events:
            return agent
        allowed = " or ".join(sorted(f'"{self.kinds[name].detail_type}"' for name in agent.events if name in self.kinds))
        raise ImpersonationError(
            f'agent "{agent_name}" does not declare {kind.name} (source "{kind.source}", detail-type "{kind.detail_type}"): '
            f'it may publish only source "{agent.source}" with detail-type '
            f'{allowed or "(none: it declares no event)"}; nothing was sent',
            hint=f"publish it from a client of the agent that declares {kind.name}: EventBridgeAgent(..., agent=NAME)")

    def agent(self, name: str) -> "Agent":
        agents = self.topology.agents
        if name not in agents:
            raise UnknownEventError(f'the topology has no agent "{name}" (agents: {", ".join(sorted(agents))})')
        return agents[name]
