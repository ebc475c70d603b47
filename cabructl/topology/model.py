"""The typed topology: what the rest of cabructl reads instead of raw YAML.

Built only from a document that passed the JSON Schema, so builders may trust
types; semantic checks (references, AWS limits) run on this model afterwards.
Every object keeps its ``path`` so later checks can point at the YAML line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from cabructl.constants import DEFAULT_NAME_PREFIX, TAG_ADDRESS, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_TOPOLOGY
from cabructl.diagnostics import Path

# The language's durations: a whole number and a unit, largest unit first.
DURATION_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
DURATION_PATTERN = re.compile(r"^([0-9]+)(s|m|h|d)$")


def parse_duration(value: int | float | str) -> int:
    """``14d`` → 1209600; integers are seconds. The schema has vetted the form.

    JSON Schema counts ``60.0`` as an integer, so integral floats arrive here too.
    """
    if isinstance(value, (int, float)):
        return int(value)
    match = DURATION_PATTERN.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r}")
    return int(match.group(1)) * dict(DURATION_UNITS)[match.group(2)]


def format_duration(seconds: int) -> str:
    """``3600`` → ``1h``: seconds as topology.yaml writes them, in the largest unit that divides."""
    for unit, size in DURATION_UNITS:
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_ratio(value: float | str) -> float:
    """``90%`` or 0.9 → 0.9."""
    if isinstance(value, str):
        return float(value.rstrip("%")) / 100
    return float(value)


@dataclass(frozen=True)
class Archive:
    name: str
    description: str
    retention_days: int
    path: Path


@dataclass(frozen=True)
class Bus:
    name: str
    description: str
    tags: dict[str, str]
    archive: Archive | None
    path: Path = ("bus",)


@dataclass(frozen=True)
class Registry:
    name: str
    description: str
    tags: dict[str, str]
    path: Path = ("schemas", "registry")


@dataclass(frozen=True)
class EventSchema:
    name: str
    source: str
    detail_type: str
    description: str
    type: str
    content: dict[str, Any]
    file: str | None
    typical_size_bytes: int | None
    tags: dict[str, str]
    path: Path

    @property
    def detail_schema(self) -> dict[str, Any]:
        """The JSON-like schema of the event's ``detail`` (the component named like the schema)."""
        if self.type != "OpenApi3":
            return self.content
        components = self.content.get("components", {}).get("schemas", {})
        return components.get(self.name) or next(iter(components.values()), {})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    max_age_seconds: int


@dataclass(frozen=True)
class Target:
    id: str
    kind: str  # "log_group" | "topic" | "queue": the topology section it points into
    ref: str
    retry: RetryPolicy | None
    dead_letter: str | None
    role_arn: str | None
    input: str | None
    path: Path


@dataclass(frozen=True)
class Rule:
    logical: str
    name: str
    description: str
    state: str
    pattern: dict[str, Any]
    targets: tuple[Target, ...]
    tags: dict[str, str]
    path: Path


@dataclass(frozen=True)
class Queue:
    logical: str
    name: str
    retention: int
    visibility_timeout: int
    receive_wait: int
    delay: int
    encryption: str
    kms_key: str | None
    fifo: bool
    redrive_dead_letter: str | None
    redrive_max_receives: int
    tags: dict[str, str]
    path: Path


@dataclass(frozen=True)
class Topic:
    logical: str
    name: str
    display_name: str
    kms_key: str | None
    tags: dict[str, str]
    path: Path


@dataclass(frozen=True)
class LogGroup:
    logical: str
    name: str
    retention_seconds: int | None
    tags: dict[str, str]
    path: Path

    @property
    def retention_days(self) -> int | None:
        return None if self.retention_seconds is None else self.retention_seconds // 86_400


@dataclass(frozen=True)
class Agent:
    name: str
    source: str
    description: str
    events: tuple[str, ...]
    per_day: int
    per_hour: int
    sampling: float
    mix: dict[str, dict[str, float]]
    on_limit: str
    path: Path


@dataclass(frozen=True)
class Budget:
    monthly_usd: float
    alert_ratio: float
    pricing: str
    path: Path = ("budget",)


@dataclass(frozen=True)
class Dashboard:
    name: str
    period: int
    path: Path = ("monitoring", "dashboard")


@dataclass(frozen=True)
class CostAlarm:
    name: str
    description: str
    metric: str
    statistic: str
    period: int
    evaluation_periods: int
    threshold: float
    actions: tuple[str, ...]
    tags: dict[str, str]
    path: Path = ("monitoring", "cost_alarm")


@dataclass(frozen=True)
class PublisherPolicy:
    name: str
    description: str
    tags: dict[str, str]
    path: Path = ("iam", "publisher_policy")


@dataclass
class Topology:
    """One environment of a topology file, names resolved and defaults applied."""

    file: str
    project: str
    environment: str
    environments: tuple[str, ...]
    region: str
    prefix: str
    tags: dict[str, str]
    bus: Bus
    registry: Registry | None
    schemas: dict[str, EventSchema]
    rules: dict[str, Rule]
    queues: dict[str, Queue]
    topics: dict[str, Topic]
    log_groups: dict[str, LogGroup]
    agents: dict[str, Agent]
    budget: Budget | None
    dashboard: Dashboard | None
    cost_alarm: CostAlarm | None
    publisher_policy: PublisherPolicy | None
    outputs: dict[str, str]
    document: dict[str, Any] = field(repr=False, default_factory=dict)
    source_map: Any = field(repr=False, default=None)

    @property
    def owner_tag(self) -> str:
        """Value of the ``cabructl:topology`` tag: which topology owns a resource."""
        return f"{self.project}/{self.environment}"

    def ownership_tags(self) -> dict[str, str]:
        return {TAG_MANAGED_BY: TAG_MANAGED_BY_VALUE, TAG_TOPOLOGY: self.owner_tag}

    def resource_tags(self, own: Mapping[str, str] | None = None, *, address: str | None = None) -> dict[str, str]:
        """Common tags, then the resource's own, then ownership and the resource's address
        (which nothing may override: they are how cabructl finds the resource again)."""
        recorded = {TAG_ADDRESS: address} if address else {}
        return {**self.tags, **dict(own or {}), **self.ownership_tags(), **recorded}

    def schema_for(self, source: str, detail_type: str) -> EventSchema | None:
        for schema in self.schemas.values():
            if schema.source == source and schema.detail_type == detail_type:
                return schema
        return None


class _Namer:
    """Applies the name prefix and the ``{project}``/``{environment}``/``{prefix}`` placeholders."""

    def __init__(self, project: str, environment: str, prefix_template: str) -> None:
        self.values = {"project": project, "environment": environment}
        self.prefix = self.expand(prefix_template)
        self.values["prefix"] = self.prefix

    def expand(self, text: str) -> str:
        for key, value in self.values.items():
            text = text.replace("{" + key + "}", value)
        return text

    def name(self, spec: Mapping[str, Any], logical: str) -> str:
        explicit = spec.get("name")
        return self.expand(explicit) if explicit else self.prefix + logical


def build_topology(document: dict[str, Any], file: str, environments: tuple[str, ...], source_map: Any = None) -> Topology:
    """Turn a schema-valid, environment-merged document into the typed model."""
    namer = _Namer(document["project"], document["environment"], document.get("name_prefix", DEFAULT_NAME_PREFIX))
    tags = {key: namer.expand(value) for key, value in document.get("tags", {}).items()}
    schemas_section = document.get("schemas", {})
    monitoring = document.get("monitoring", {})
    return Topology(
        file=file,
        project=document["project"],
        environment=document["environment"],
        environments=environments,
        region=document["region"],
        prefix=namer.prefix,
        tags=tags,
        bus=_bus(document["bus"], namer),
        registry=_registry(schemas_section.get("registry"), namer),
        schemas={name: _schema(name, spec) for name, spec in schemas_section.get("events", {}).items()},
        rules={logical: _rule(logical, spec, namer) for logical, spec in document.get("rules", {}).items()},
        queues={logical: _queue(logical, spec, namer) for logical, spec in document.get("queues", {}).items()},
        topics={logical: _topic(logical, spec, namer) for logical, spec in document.get("topics", {}).items()},
        log_groups={logical: _log_group(logical, spec, namer) for logical, spec in document.get("log_groups", {}).items()},
        agents={name: _agent(name, spec) for name, spec in document.get("agents", {}).items()},
        budget=_budget(document.get("budget")),
        dashboard=_dashboard(monitoring.get("dashboard"), namer),
        cost_alarm=_cost_alarm(monitoring.get("cost_alarm"), namer),
        publisher_policy=_publisher_policy(document.get("iam", {}).get("publisher_policy"), namer),
        outputs=dict(document.get("outputs", {})),
        document=document,
        source_map=source_map,
    )


def _bus(spec: dict[str, Any], namer: _Namer) -> Bus:
    archive_spec = spec.get("archive")
    archive = None
    if archive_spec is not None:
        archive = Archive(
            name=namer.name(archive_spec, "archive"),
            description=archive_spec.get("description", ""),
            retention_days=parse_duration(archive_spec.get("retention", 0)) // 86_400,
            path=("bus", "archive"),
        )
    return Bus(namer.expand(spec["name"]), spec.get("description", ""), dict(spec.get("tags", {})), archive)


def _registry(spec: dict[str, Any] | None, namer: _Namer) -> Registry | None:
    if spec is None:
        return None
    return Registry(namer.name(spec, "schemas"), spec.get("description", ""), dict(spec.get("tags", {})))


def _schema(name: str, spec: dict[str, Any]) -> EventSchema:
    return EventSchema(
        name=name,
        source=spec["source"],
        detail_type=spec["detail_type"],
        description=spec.get("description", ""),
        type=spec.get("type", "OpenApi3"),
        content=spec.get("content", {}),
        file=spec.get("file"),
        typical_size_bytes=int(spec["typical_size_bytes"]) if spec.get("typical_size_bytes") is not None else None,
        tags=dict(spec.get("tags", {})),
        path=("schemas", "events", name),
    )


def _rule(logical: str, spec: dict[str, Any], namer: _Namer) -> Rule:
    path = ("rules", logical)
    targets = tuple(_target(target, path + ("targets", index)) for index, target in enumerate(spec.get("targets", [])))
    return Rule(
        logical=logical,
        name=namer.name(spec, logical),
        description=spec.get("description", ""),
        state=spec.get("state", "ENABLED"),
        pattern=spec.get("pattern", {}),
        targets=targets,
        tags=dict(spec.get("tags", {})),
        path=path,
    )


TARGET_KINDS = ("log_group", "topic", "queue")


def _target(spec: dict[str, Any], path: Path) -> Target:
    kind = next(kind for kind in TARGET_KINDS if kind in spec)
    retry_spec = spec.get("retry")
    retry = None
    if retry_spec is not None:
        retry = RetryPolicy(
            attempts=int(retry_spec.get("attempts", 185)),
            max_age_seconds=parse_duration(retry_spec.get("max_age", 86_400)),
        )
    return Target(spec["id"], kind, spec[kind], retry, spec.get("dead_letter"), spec.get("role_arn"), spec.get("input"), path)


def _queue(logical: str, spec: dict[str, Any], namer: _Namer) -> Queue:
    from cabructl.constants import SQS_RETENTION_DEFAULT, SQS_VISIBILITY_DEFAULT

    fifo = bool(spec.get("fifo", False))
    name = namer.name(spec, logical)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    redrive = spec.get("redrive") or {}
    return Queue(
        logical=logical,
        name=name,
        retention=parse_duration(spec.get("retention", SQS_RETENTION_DEFAULT)),
        visibility_timeout=parse_duration(spec.get("visibility_timeout", SQS_VISIBILITY_DEFAULT)),
        receive_wait=parse_duration(spec.get("receive_wait", 0)),
        delay=parse_duration(spec.get("delay", 0)),
        encryption=spec.get("encryption", "sqs"),
        kms_key=spec.get("kms_key"),
        fifo=fifo,
        redrive_dead_letter=redrive.get("dead_letter"),
        redrive_max_receives=int(redrive.get("max_receives", 5)),
        tags=dict(spec.get("tags", {})),
        path=("queues", logical),
    )


def _topic(logical: str, spec: dict[str, Any], namer: _Namer) -> Topic:
    return Topic(logical, namer.name(spec, logical), spec.get("display_name", ""), spec.get("kms_key"), dict(spec.get("tags", {})), ("topics", logical))


def _log_group(logical: str, spec: dict[str, Any], namer: _Namer) -> LogGroup:
    retention = spec.get("retention")
    seconds = None if retention is None else parse_duration(retention)
    return LogGroup(logical, namer.name(spec, logical), seconds, dict(spec.get("tags", {})), ("log_groups", logical))


def _agent(name: str, spec: dict[str, Any]) -> Agent:
    volume = spec["volume"]
    return Agent(
        name=name,
        source=spec["source"],
        description=spec.get("description", ""),
        events=tuple(spec["events"]),
        per_day=int(volume["per_day"]),
        per_hour=int(volume["per_hour"]),
        sampling=float(spec.get("sampling", 1.0)),
        mix={field_name: dict(shares) for field_name, shares in spec.get("mix", {}).items()},
        on_limit=spec.get("on_limit", "raise"),
        path=("agents", name),
    )


def _budget(spec: dict[str, Any] | None) -> Budget | None:
    if spec is None:
        return None
    return Budget(float(spec["monthly_usd"]), parse_ratio(spec.get("alert_at", 0.9)), spec.get("pricing", "seed"))


def _dashboard(spec: dict[str, Any] | None, namer: _Namer) -> Dashboard | None:
    if spec is None:
        return None
    return Dashboard(namer.name(spec, "dashboard"), parse_duration(spec.get("period", 300)))


def _cost_alarm(spec: dict[str, Any] | None, namer: _Namer) -> CostAlarm | None:
    if spec is None:
        return None
    return CostAlarm(
        name=namer.name(spec, "cost-alarm"),
        description=spec.get("description", ""),
        metric=spec.get("metric", "MatchedEvents"),
        statistic=spec.get("statistic", "Sum"),
        period=parse_duration(spec.get("period", 3600)),
        evaluation_periods=int(spec.get("evaluation_periods", 1)),
        threshold=float(spec["threshold"]),
        actions=tuple(spec.get("actions", [])),
        tags=dict(spec.get("tags", {})),
    )


def _publisher_policy(spec: dict[str, Any] | None, namer: _Namer) -> PublisherPolicy | None:
    if spec is None:
        return None
    return PublisherPolicy(namer.name(spec, "agent-event-publisher"), spec.get("description", ""), dict(spec.get("tags", {})))
