"""The typed topology: what the rest of cabructl reads instead of raw YAML.

Built only from a document that passed the JSON Schema (by :mod:`cabructl.topology.construct`),
so builders may trust types; semantic checks (references, AWS limits) run on this model afterwards.
Every object keeps its ``path`` so later checks can point at the YAML line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from cabructl.constants import TAG_ADDRESS, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_TOPOLOGY
from cabructl.diagnostics import Path

QUEUE_ENCRYPTIONS = ("sqs", "kms", "none")  # what a queue's ``encryption`` names besides a declared key


@dataclass(frozen=True)
class Key:
    """A customer-managed KMS key the topology owns (``keys.<logical>``): what encrypts its queues,
    topics, bus or archive when EventBridge must be able to use the key (an AWS-managed one it cannot)."""

    logical: str
    alias: str  # without ``alias/``: the prefix plus the logical name unless ``alias:`` says otherwise
    description: str
    rotation: bool
    consumers: tuple[str, ...]  # principal ARNs allowed kms:Decrypt (those that read what it encrypts)
    tags: dict[str, str]
    path: Path

    @property
    def alias_name(self) -> str:
        """The AWS alias name: ``alias/<alias>``."""
        return f"alias/{self.alias}"


@dataclass(frozen=True)
class Archive:
    name: str
    description: str
    retention_days: int
    path: Path
    key: str | None = None  # logical name of the key in ``keys`` that encrypts it


@dataclass(frozen=True)
class Bus:
    name: str
    description: str
    tags: dict[str, str]
    archive: Archive | None
    path: Path = ("bus",)
    key: str | None = None  # logical name of the key in ``keys`` that encrypts it


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
    compatibility: str = "backward"  # who a new version must keep working: backward, forward, full, none

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
class InputTransformer:
    """``input_transformer``: placeholder name → JSONPath, and the template they fill."""

    paths: dict[str, str]
    template: str


@dataclass(frozen=True)
class HttpParameters:
    """``http`` on an API-destination target: headers, query string and URL wildcard values (HttpParameters)."""

    headers: dict[str, str]
    query: dict[str, str]
    path_parameters: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    id: str
    kind: str  # the key naming its kind (topology.targets.target_keys()): which section ``ref`` is in
    ref: str
    retry: RetryPolicy | None
    dead_letter: str | None
    role_arn: str | None
    input: str | None
    path: Path
    input_path: str | None = None
    input_transformer: InputTransformer | None = None
    message_group: str | None = None  # FIFO queue targets: SqsParameters.MessageGroupId
    partition_key: str | None = None  # stream targets: KinesisParameters.PartitionKeyPath
    http: HttpParameters | None = None  # API-destination targets: HttpParameters

    def put_targets_input(self) -> dict[str, object]:
        """The target's input settings as a PutTargets entry holds them (the form AWS validates and renders)."""
        entry: dict[str, object] = {}
        if self.input is not None:
            entry["Input"] = self.input
        if self.input_path is not None:
            entry["InputPath"] = self.input_path
        if self.input_transformer is not None:
            entry["InputTransformer"] = {"InputPathsMap": dict(self.input_transformer.paths),
                                         "InputTemplate": self.input_transformer.template}
        return entry


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
    key: str | None = None  # ``encryption: <a key in keys>`` (then ``encryption`` is "kms")


@dataclass(frozen=True)
class Topic:
    logical: str
    name: str
    display_name: str
    kms_key: str | None
    tags: dict[str, str]
    path: Path
    key: str | None = None  # ``encryption: <a key in keys>``
    subscribers: dict[str, int] = field(default_factory=dict)  # protocol → subscriptions made outside cabructl (cost usage)


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
class Secret:
    """Where a connection's secret comes from at apply time: never the YAML."""

    from_env: str | None      # an environment variable's name
    from_secret: str | None   # a Secrets Manager secret ARN (its SecretString)


@dataclass(frozen=True)
class Connection:
    """An EventBridge connection: how API destinations authorize. ``parameters`` holds the
    non-secret fields of its authorization (``name`` of an API key, ``username``, the OAuth
    endpoint, method and client id); the secret is :attr:`secret`."""

    logical: str
    name: str
    description: str
    authorization: str  # api_key | basic | oauth_client_credentials
    parameters: dict[str, str]
    secret: Secret
    path: Path


@dataclass(frozen=True)
class ApiDestination:
    logical: str
    name: str
    description: str
    connection: str  # logical name in ``connections``
    url: str
    method: str
    rate_per_second: int | None
    path: Path


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
    accounts: tuple[str, ...] = ()  # ``account:``: other accounts it publishes from (the bus policy grants them)
    consumes: tuple[str, ...] = ()  # ``consumes:``: logical names of the queues it reads (its consumer policy)


@dataclass(frozen=True)
class Budget:
    monthly_usd: float
    alert_ratio: float
    pricing: str
    scope: str = "eventbridge"  # what the gate totals: "eventbridge" (the bus's bill) or "backbone" (every service)
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
class IdempotencyTable:
    """``idempotency:``: the DynamoDB table consumers share so that each event id is handled once.

    ``in_progress_expiry`` (seconds) bounds how long a consumer that crashed mid-handler
    keeps an event from being handled by another.
    """

    logical: str
    name: str
    in_progress_expiry: int
    tags: dict[str, str]
    path: Path = ("idempotency",)


@dataclass(frozen=True)
class AgentMetrics:
    """``monitoring.agent_metrics``: the namespace the SDK's own metrics go to (and the dashboard reads)."""

    namespace: str
    path: Path = ("monitoring", "agent_metrics")


def default_metrics_namespace(project: str) -> str:
    """Where the SDK's metrics go when the topology names no namespace."""
    return f"{project}/agents"


@dataclass(frozen=True)
class PublisherPolicy:
    """The seed's shared publisher policy, kept for the principals already attached to it.

    ``publish`` is what it grants on the bus: ``any_agent`` (the seed: PutEvents with any
    source and detail-type, which lets one agent publish as another) or ``none`` (schema
    reads only; each agent publishes through its own ``{prefix}<agent>-publisher`` policy).
    """

    name: str
    description: str
    tags: dict[str, str]
    path: Path = ("iam", "publisher_policy")
    publish: str = "any_agent"


AGENT_PUBLISHER_SUFFIX = "-publisher"
AGENT_CONSUMER_SUFFIX = "-consumer"


def agent_publisher_policy_name(topology: "Topology", agent: str) -> str:
    """``{prefix}<agent>-publisher``: the managed policy that lets one agent publish only its own events."""
    return f"{topology.prefix}{agent}{AGENT_PUBLISHER_SUFFIX}"


def agent_consumer_policy_name(topology: "Topology", agent: str) -> str:
    """``{prefix}<agent>-consumer``: the managed policy that lets one agent read only the queues it consumes."""
    return f"{topology.prefix}{agent}{AGENT_CONSUMER_SUFFIX}"


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
    connections: dict[str, Connection] = field(default_factory=dict)
    api_destinations: dict[str, ApiDestination] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    idempotency: IdempotencyTable | None = None
    agent_metrics: AgentMetrics | None = None
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

    @property
    def metrics_namespace(self) -> str:
        """The namespace of the SDK's metrics: ``monitoring.agent_metrics.namespace``, or the default."""
        return self.agent_metrics.namespace if self.agent_metrics else default_metrics_namespace(self.project)

    def consumers_of(self, queue: str) -> list[Agent]:
        """The agents that declare they consume ``queue`` (a logical name)."""
        return [agent for agent in self.agents.values() if queue in agent.consumes]

    def detail_types_of(self, agent: Agent) -> list[str]:
        """The detail-types of the events ``agent`` declares: all it may publish, with its source."""
        return sorted({self.schemas[name].detail_type for name in agent.events if name in self.schemas})

    def schema_for(self, source: str, detail_type: str) -> EventSchema | None:
        for schema in self.schemas.values():
            if schema.source == source and schema.detail_type == detail_type:
                return schema
        return None
