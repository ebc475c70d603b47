"""Building the typed topology from a schema-valid, environment-merged document.

The document passed the JSON Schema, so builders trust types; names are resolved
here (the name prefix and the ``{project}``/``{environment}``/``{prefix}``
placeholders) and defaults applied, and every object keeps its ``path``.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.constants import DEFAULT_NAME_PREFIX
from cabructl.diagnostics import Path
from cabructl.topology.durations import parse_duration, parse_ratio
from cabructl.topology.model import (
    Agent,
    AgentMetrics,
    ApiDestination,
    Archive,
    Budget,
    Bus,
    Connection,
    CostAlarm,
    Dashboard,
    EventSchema,
    HttpParameters,
    IdempotencyTable,
    InputTransformer,
    Key,
    LogGroup,
    PublisherPolicy,
    Queue,
    Registry,
    RetryPolicy,
    Rule,
    Secret,
    Target,
    Topic,
    QUEUE_ENCRYPTIONS,
    Topology,
    default_metrics_namespace,
)


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
        connections={logical: _connection(logical, spec, namer) for logical, spec in document.get("connections", {}).items()},
        api_destinations={logical: _api_destination(logical, spec, namer)
                          for logical, spec in document.get("api_destinations", {}).items()},
        keys={logical: _key(logical, spec, namer) for logical, spec in document.get("keys", {}).items()},
        idempotency=_idempotency(document.get("idempotency"), namer),
        agent_metrics=_agent_metrics(monitoring.get("agent_metrics"), document["project"], namer),
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
            key=archive_spec.get("encryption"),
        )
    return Bus(namer.expand(spec["name"]), spec.get("description", ""), dict(spec.get("tags", {})), archive,
               key=spec.get("encryption"))


def _key(logical: str, spec: dict[str, Any], namer: _Namer) -> Key:
    alias = spec.get("alias")
    return Key(logical, namer.expand(alias) if alias else namer.prefix + logical, spec.get("description", ""),
               bool(spec.get("rotation", True)), tuple(spec.get("consumers", ())), dict(spec.get("tags", {})), ("keys", logical))


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
        compatibility=spec.get("compatibility", "backward"),
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


def _target(spec: dict[str, Any], path: Path) -> Target:
    from cabructl.topology.targets import target_keys

    kind = next(kind for kind in target_keys() if kind in spec)
    retry_spec = spec.get("retry")
    retry = None
    if retry_spec is not None:
        retry = RetryPolicy(
            attempts=int(retry_spec.get("attempts", 185)),
            max_age_seconds=parse_duration(retry_spec.get("max_age", 86_400)),
        )
    transformer = spec.get("input_transformer")
    return Target(spec["id"], kind, spec[kind], retry, spec.get("dead_letter"), spec.get("role_arn"), spec.get("input"), path,
                  input_path=spec.get("input_path"),
                  input_transformer=InputTransformer(dict(transformer.get("paths") or {}), transformer["template"]) if transformer else None,
                  message_group=spec.get("message_group"), partition_key=spec.get("partition_key"),
                  http=_http(spec.get("http")))


def _http(spec: dict[str, Any] | None) -> HttpParameters | None:
    if spec is None:
        return None
    return HttpParameters(dict(spec.get("headers") or {}), dict(spec.get("query") or {}), tuple(spec.get("path_parameters") or ()))


def _connection(logical: str, spec: dict[str, Any], namer: _Namer) -> Connection:
    """The authorization's own block (``api_key:``, ``basic:``…) holds its fields and its secret's source."""
    authorization = spec["authorization"]
    fields = dict(spec.get(authorization) or {})
    secret = Secret(fields.pop("value_from_env", None), fields.pop("value_from_secret", None))
    return Connection(logical, namer.name(spec, logical), spec.get("description", ""), authorization,
                      {key: str(value) for key, value in fields.items()}, secret, ("connections", logical))


def _api_destination(logical: str, spec: dict[str, Any], namer: _Namer) -> ApiDestination:
    rate = spec.get("rate_per_second")
    return ApiDestination(logical, namer.name(spec, logical), spec.get("description", ""), spec["connection"], spec["url"],
                          spec["method"], None if rate is None else int(rate), ("api_destinations", logical))


def _queue(logical: str, spec: dict[str, Any], namer: _Namer) -> Queue:
    from cabructl.constants import SQS_FIFO_SUFFIX, SQS_MAX_RECEIVES_DEFAULT, SQS_RETENTION_DEFAULT, SQS_VISIBILITY_DEFAULT

    fifo = bool(spec.get("fifo", False))
    name = namer.name(spec, logical)
    if fifo and not name.endswith(SQS_FIFO_SUFFIX):
        name += SQS_FIFO_SUFFIX
    redrive = spec.get("redrive") or {}
    encryption = spec.get("encryption", "sqs")
    key = None if encryption in QUEUE_ENCRYPTIONS else encryption  # a declared key's logical name
    return Queue(
        logical=logical,
        name=name,
        retention=parse_duration(spec.get("retention", SQS_RETENTION_DEFAULT)),
        visibility_timeout=parse_duration(spec.get("visibility_timeout", SQS_VISIBILITY_DEFAULT)),
        receive_wait=parse_duration(spec.get("receive_wait", 0)),
        delay=parse_duration(spec.get("delay", 0)),
        encryption="kms" if key else encryption,
        kms_key=None if key else spec.get("kms_key"),
        fifo=fifo,
        redrive_dead_letter=redrive.get("dead_letter"),
        redrive_max_receives=int(redrive.get("max_receives", SQS_MAX_RECEIVES_DEFAULT)),
        tags=dict(spec.get("tags", {})),
        path=("queues", logical),
        key=key,
    )


def _topic(logical: str, spec: dict[str, Any], namer: _Namer) -> Topic:
    return Topic(logical, namer.name(spec, logical), spec.get("display_name", ""), spec.get("kms_key"), dict(spec.get("tags", {})), ("topics", logical),
                 key=spec.get("encryption"), subscribers=dict(spec.get("subscribers", {})))


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
        accounts=_accounts(spec.get("account", ())),
        consumes=tuple(spec.get("consumes", ())),
    )


def _accounts(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``account:`` is one account id or a list of them: always a tuple, in the order written."""
    return (value,) if isinstance(value, str) else tuple(value)


def _budget(spec: dict[str, Any] | None) -> Budget | None:
    if spec is None:
        return None
    return Budget(float(spec["monthly_usd"]), parse_ratio(spec.get("alert_at", 0.9)), spec.get("pricing", "seed"),
                  spec.get("scope", "eventbridge"))


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
    return PublisherPolicy(namer.name(spec, "agent-event-publisher"), spec.get("description", ""), dict(spec.get("tags", {})),
                           publish=spec.get("publish", "any_agent"))


def _idempotency(spec: dict[str, Any] | None, namer: _Namer) -> IdempotencyTable | None:
    from cabructl.constants import IDEMPOTENCY_IN_PROGRESS_EXPIRY

    if spec is None:
        return None
    logical = spec["table"]
    return IdempotencyTable(logical, namer.name(spec, logical), parse_duration(spec.get("in_progress_expiry", IDEMPOTENCY_IN_PROGRESS_EXPIRY)),
                            dict(spec.get("tags", {})))


def _agent_metrics(spec: dict[str, Any] | None, project: str, namer: _Namer) -> AgentMetrics | None:
    """Declaring the section adds the dashboard's widgets; undeclared, the SDK still records into the default."""
    if spec is None:
        return None
    return AgentMetrics(namer.expand(spec.get("namespace", default_metrics_namespace(project))))
