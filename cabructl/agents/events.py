"""Typed events: the seed client's classes, kept call-compatible, tied to the topology's schemas.

The seed's ``eventbridge_agent_example`` exposed these dataclasses and enums, and
agents written against it must keep working with only their import changed: the
``create`` signatures and camelCase fields are therefore the seed's. Strings are
accepted wherever the seed accepted them (``priority="HIGH"``).

What is *not* here: sources, detail-types and bus names. Those come from
topology.yaml when an event is published, and every event is validated against
the schema there. The enum members mirror the schemas' ``enum`` lists so editors
can complete them; :func:`enum_drift` compares the two and a test keeps them equal.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Union

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.topology.model import Topology


class Severity(str, Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class IssueType(str, Enum):
    PERFORMANCE = "PERFORMANCE"
    ERROR = "ERROR"
    SECURITY = "SECURITY"
    DATA_QUALITY = "DATA_QUALITY"
    INFRASTRUCTURE = "INFRASTRUCTURE"


class FeatureType(str, Enum):
    UI = "UI"
    API = "API"
    ML_MODEL = "ML_MODEL"
    DATA_PIPELINE = "DATA_PIPELINE"
    INTEGRATION = "INTEGRATION"
    PERFORMANCE = "PERFORMANCE"


class Priority(str, Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


class ChangeType(str, Enum):
    FEATURE = "FEATURE"
    BUGFIX = "BUGFIX"
    REFACTOR = "REFACTOR"
    DOCUMENTATION = "DOCUMENTATION"
    TEST = "TEST"
    DEPENDENCY = "DEPENDENCY"


class ChangeStatus(str, Enum):
    PROPOSED = "PROPOSED"
    IN_REVIEW = "IN_REVIEW"
    APPROVED = "APPROVED"
    MERGED = "MERGED"
    DEPLOYED = "DEPLOYED"
    ROLLED_BACK = "ROLLED_BACK"


class TestType(str, Enum):
    __test__ = False  # a domain enum, not a pytest class

    UNIT = "UNIT"
    INTEGRATION = "INTEGRATION"
    E2E = "E2E"
    PERFORMANCE = "PERFORMANCE"
    SECURITY = "SECURITY"
    REGRESSION = "REGRESSION"


class TestStatus(str, Enum):
    __test__ = False

    PASSED = "PASSED"
    FAILED = "FAILED"
    PARTIALLY_PASSED = "PARTIALLY_PASSED"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"


def now_iso8601() -> str:
    """The current time in UTC, ISO 8601 with an explicit offset (RFC 3339 needs one; the seed's
    naive ``utcnow()`` had none and relied on a hand-appended "Z")."""
    return datetime.now(timezone.utc).isoformat()


def new_id() -> str:
    return str(uuid.uuid4())


def enum_value(value: Union[Enum, str]) -> str:
    """Enum members and plain strings alike: the seed passed some fields as strings."""
    return value.value if isinstance(value, Enum) else value


def _generated(id_field: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A fresh id and the current time, unless the caller supplied them (the seed could not take either)."""
    return {id_field: new_id(), "timestamp": now_iso8601(), **kwargs}


class TypedEvent:
    """Shared behaviour of the typed events: which schema they are, and their ``detail``."""

    schema_name: ClassVar[str]
    # detail field -> enum class mirroring the schema's `enum` for that field
    enum_fields: ClassVar[Dict[str, type]] = {}

    def to_detail(self) -> Dict[str, Any]:
        """The event's ``detail``; unset optional fields are left out, as the seed did."""
        return {key: value for key, value in asdict(self).items() if value is not None}  # type: ignore[call-overload]

    @classmethod
    def from_detail(cls, detail: Dict[str, Any]) -> Any:
        """The typed event a received ``detail`` describes (the consumer's direction of ``to_detail``).

        Fields the class does not declare (a schema that grew, ``additionalProperties``) are
        left out rather than refused: the detail was validated against the topology's schema,
        which is the contract; the dataclass is a convenience. Raises TypeError when a field
        the class requires is missing (a topology whose schema of this name differs).
        """
        names = {item.name for item in fields(cls)}  # type: ignore[arg-type]
        return cls(**{key: value for key, value in detail.items() if key in names})


@dataclass
class IssueDetectionEvent(TypedEvent):
    """A monitoring agent reports a system issue."""

    schema_name: ClassVar[str] = "IssueDetectionEvent"
    enum_fields: ClassVar[Dict[str, type]] = {"severity": Severity, "issueType": IssueType}

    issueId: str
    timestamp: str
    severity: str
    agentId: str
    issueType: str
    description: str
    affectedResources: Optional[List[str]] = None
    metrics: Optional[Dict[str, float]] = None
    suggestedActions: Optional[List[str]] = None
    correlationId: Optional[str] = None
    causationId: Optional[str] = None

    @classmethod
    def create(cls, agent_id: str, severity: Union[Severity, str], issue_type: Union[IssueType, str], description: str,
               **kwargs: Any) -> "IssueDetectionEvent":
        return cls(**_generated("issueId", kwargs), severity=enum_value(severity), agentId=agent_id,
                   issueType=enum_value(issue_type), description=description)


@dataclass
class FeatureRequestEvent(TypedEvent):
    """A product agent requests a new feature."""

    schema_name: ClassVar[str] = "FeatureRequestEvent"
    enum_fields: ClassVar[Dict[str, type]] = {"featureType": FeatureType, "priority": Priority}

    requestId: str
    timestamp: str
    agentId: str
    featureType: str
    priority: str
    description: str
    businessJustification: Optional[str] = None
    estimatedImpact: Optional[Dict[str, Any]] = None
    technicalRequirements: Optional[List[str]] = None
    correlationId: Optional[str] = None
    causationId: Optional[str] = None

    @classmethod
    def create(cls, agent_id: str, feature_type: Union[FeatureType, str], priority: Union[Priority, str], description: str,
               **kwargs: Any) -> "FeatureRequestEvent":
        return cls(**_generated("requestId", kwargs), agentId=agent_id, featureType=enum_value(feature_type),
                   priority=enum_value(priority), description=description)


@dataclass
class CodeChangeEvent(TypedEvent):
    """A developer agent reports a code modification."""

    schema_name: ClassVar[str] = "CodeChangeEvent"
    enum_fields: ClassVar[Dict[str, type]] = {"changeType": ChangeType, "status": ChangeStatus}

    changeId: str
    timestamp: str
    agentId: str
    repository: str
    branch: str
    changeType: str
    status: str
    commitHash: Optional[str] = None
    files: Optional[List[Dict[str, Any]]] = None
    testResults: Optional[Dict[str, int]] = None
    reviewers: Optional[List[str]] = None
    correlationId: Optional[str] = None
    causationId: Optional[str] = None

    @classmethod
    def create(cls, agent_id: str, repository: str, branch: str, change_type: Union[ChangeType, str],
               status: Union[ChangeStatus, str], **kwargs: Any) -> "CodeChangeEvent":
        return cls(**_generated("changeId", kwargs), agentId=agent_id, repository=repository, branch=branch,
                   changeType=enum_value(change_type), status=enum_value(status))


@dataclass
class TestResultsEvent(TypedEvent):
    """A testing agent reports the results of a test run."""

    __test__: ClassVar[bool] = False
    schema_name: ClassVar[str] = "TestResultsEvent"
    enum_fields: ClassVar[Dict[str, type]] = {"testType": TestType, "status": TestStatus}

    testRunId: str
    timestamp: str
    agentId: str
    testType: str
    status: str
    summary: Dict[str, Any]
    coverage: Optional[Dict[str, float]] = None
    failedTests: Optional[List[Dict[str, str]]] = None
    artifacts: Optional[List[str]] = None
    correlationId: Optional[str] = None
    causationId: Optional[str] = None

    @classmethod
    def create(cls, agent_id: str, test_type: Union[TestType, str], status: Union[TestStatus, str], summary: Dict[str, Any],
               **kwargs: Any) -> "TestResultsEvent":
        return cls(**_generated("testRunId", kwargs), agentId=agent_id, testType=enum_value(test_type),
                   status=enum_value(status), summary=summary)


@dataclass
class GenericEvent:
    """Any event the topology declares, as a plain ``detail`` dict (the CLI, redrive, load tests).

    ``schema`` is the schema's name in topology.yaml or its detail-type. ``bus``
    overrides the topology's bus for this one event (the PutEvents entries format
    names one per entry).
    """

    schema: str
    detail: Dict[str, Any]
    bus: Optional[str] = None
    resources: List[str] = field(default_factory=list)
    time: Optional[datetime] = None

    @property
    def schema_name(self) -> str:
        return self.schema

    def to_detail(self) -> Dict[str, Any]:
        return dict(self.detail)


TYPED_EVENTS: tuple[type[TypedEvent], ...] = (IssueDetectionEvent, FeatureRequestEvent, CodeChangeEvent, TestResultsEvent)

Event = Union[TypedEvent, GenericEvent]


def enum_drift(topology: "Topology") -> list[str]:
    """Where a typed enum and its schema's ``enum`` list differ; empty when they agree.

    The schemas are the contract; the enums are conveniences that must never
    offer a value the schema refuses, nor miss one it accepts.
    """
    problems = []
    for event_class in TYPED_EVENTS:
        schema = topology.schemas.get(event_class.schema_name)
        if schema is None:
            problems.append(f"{event_class.schema_name}: no such schema in the topology")
            continue
        properties = schema.detail_schema.get("properties", {})
        for field_name, enum_class in event_class.enum_fields.items():
            declared = properties.get(field_name, {}).get("enum")
            offered = [member.value for member in enum_class]  # type: ignore[attr-defined]
            if declared != offered:
                problems.append(f"{event_class.schema_name}.{field_name}: {enum_class.__name__} has {offered}, the schema {declared}")
    return problems
