"""Replay: send a window of the topology's archive to its bus again, to chosen rules only.

After an incident (a target down, a bug in a consumer) the archive still holds the
events; StartReplay sends those of a window back to the bus, limited by
``Destination.FilterArns`` to the rules that need them, so the other targets
receive nothing twice. Replayed events carry ``replay-name``.

The request is checked before anything starts, each refusal naming what to change:
the window must run forward, lie in the past and inside the archive's retention;
the archive must exist; the events it would replay are estimated and priced, and
the month's projection plus the replay must stay inside the budget (unless the
caller allows otherwise). Confirmation belongs to the command line; this module
validates, prices, starts, watches and reports.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from cabructl.aws import aws_errors, is_not_found
from cabructl.errors import CabructlError
from cabructl.operations.times import iso

if TYPE_CHECKING:  # pragma: no cover
    from cabructl.aws import Aws
    from cabructl.policy.pricing import CostBreakdown
    from cabructl.topology.model import Topology

REPLAY_NAME_MAX = 64  # StartReplay's limit
REPLAY_NAME = re.compile(r"^[.\-_A-Za-z0-9]+$")
FINAL_STATES = ("COMPLETED", "FAILED", "CANCELLED")
DEFAULT_POLL_SECONDS = 5.0
SECONDS_PER_DAY = 86_400


class ReplayError(CabructlError):
    reference = "replay"


aws_calls = aws_errors  # botocore failures become an AwsError naming the call, never a traceback


@dataclass(frozen=True)
class ReplayRequest:
    """A checked request: what StartReplay will be asked, and why each value is what it is."""

    name: str
    archive_name: str
    archive_arn: str
    bus_arn: str
    rules: tuple[str, ...]  # logical names
    rule_arns: tuple[str, ...]
    start: _dt.datetime
    end: _dt.datetime
    archive: dict[str, Any]  # DescribeArchive's answer

    def start_parameters(self) -> dict[str, Any]:
        return {"ReplayName": self.name, "EventSourceArn": self.archive_arn,
                "EventStartTime": self.start, "EventEndTime": self.end,
                "Destination": {"Arn": self.bus_arn, "FilterArns": list(self.rule_arns)},
                "Description": f"cabructl replay of {', '.join(self.rules)}"[:512]}


@dataclass(frozen=True)
class ReplayEstimate:
    """What the replay will cost, and how sure the number is (``basis``)."""

    events: float
    basis: str
    chunks_per_event: int
    cost: "CostBreakdown"
    month_usd: float | None  # the projected month without the replay
    budget_usd: float | None

    @property
    def over_budget(self) -> bool:
        return self.budget_usd is not None and (self.month_usd or 0.0) + self.cost.total > self.budget_usd

    def to_json(self) -> dict[str, Any]:
        return {"events": self.events, "basis": self.basis, "chunks_per_event": self.chunks_per_event,
                "cost": self.cost.to_json(), "projected_month_usd": self.month_usd, "budget_usd": self.budget_usd,
                "over_budget": self.over_budget}


@dataclass(frozen=True)
class ReplayStatus:
    """One replay as DescribeReplay / ListReplays report it, with its progress through the window."""

    name: str
    state: str
    reason: str | None
    start: _dt.datetime | None
    end: _dt.datetime | None
    last_replayed: _dt.datetime | None
    started_at: _dt.datetime | None
    ended_at: _dt.datetime | None

    @classmethod
    def from_aws(cls, item: dict[str, Any]) -> "ReplayStatus":
        return cls(item["ReplayName"], item.get("State", "?"), item.get("StateReason") or None,
                   _aware(item.get("EventStartTime")), _aware(item.get("EventEndTime")),
                   _aware(item.get("EventLastReplayedTime")), _aware(item.get("ReplayStartTime")),
                   _aware(item.get("ReplayEndTime")))

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def progress(self) -> float:
        """0..1 through the window, from EventLastReplayedTime; 1 once COMPLETED."""
        if self.state == "COMPLETED":
            return 1.0
        if not (self.start and self.end and self.last_replayed) or self.end <= self.start:
            return 0.0
        return min(1.0, max(0.0, (self.last_replayed - self.start) / (self.end - self.start)))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "state": self.state, "reason": self.reason, "from": iso(self.start), "to": iso(self.end),
                "last_replayed": iso(self.last_replayed), "started_at": iso(self.started_at), "ended_at": iso(self.ended_at),
                "progress": round(self.progress, 4)}


def _aware(value: Any) -> _dt.datetime | None:
    """boto3 answers datetimes (aware); moto's JSON may come back as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


# -- validating the request ----------------------------------------------------------------------
def choose_rules(topology: "Topology", names: Sequence[str]) -> tuple[str, ...]:
    """The logical rules to replay to: those named, or every rule of the topology."""
    from cabructl.diagnostics import did_you_mean

    if not topology.rules:
        raise ReplayError("the topology declares no rules: a replay would reach nothing")
    for name in names:
        if name not in topology.rules:
            raise ReplayError(f"unknown rule {name!r}", hint=did_you_mean(name, topology.rules)
                              or f"rules: {', '.join(sorted(topology.rules))}")
    return tuple(dict.fromkeys(names)) if names else tuple(topology.rules)


def default_name(topology: "Topology", now: _dt.datetime) -> str:
    """``{prefix}replay-<UTC timestamp>``, the prefix shortened if StartReplay's 64 characters need it."""
    suffix = f"replay-{now.astimezone(_dt.timezone.utc):%Y%m%dT%H%M%SZ}"
    prefix = re.sub(r"[^.\-_A-Za-z0-9]", "-", topology.prefix)[: REPLAY_NAME_MAX - len(suffix)]
    return prefix + suffix


def check_name(name: str) -> str:
    """StartReplay's own rule for names, said before the call rather than as AWS's ValidationException."""
    if not name or len(name) > REPLAY_NAME_MAX or not REPLAY_NAME.match(name):
        raise ReplayError(f"replay name {name!r} is not valid: 1 to {REPLAY_NAME_MAX} characters of letters, digits, '.', '-', '_'")
    return name


def check_window(start: _dt.datetime, end: _dt.datetime, now: _dt.datetime) -> None:
    """The window runs forward and has already happened: a replay cannot wait for future events."""
    if start >= end:
        raise ReplayError(f"--from {iso(start)} is not before --to {iso(end)}: nothing to replay")
    if end > now:
        raise ReplayError(f"--to {iso(end)} is in the future (now is {iso(now)})",
                          hint="replay only what already happened: --to now, or an earlier time")


def check_retention(archive: dict[str, Any], start: _dt.datetime, now: _dt.datetime) -> None:
    """Events older than the archive's retention are gone: refuse rather than replay half a window."""
    days = int(archive.get("RetentionDays") or 0)
    if days and start < now - _dt.timedelta(days=days):
        raise ReplayError(f"--from {iso(start)} is before the archive's retention of {days} day(s) "
                          f"(it keeps events since {iso(now - _dt.timedelta(days=days))})",
                          hint="start the window later; older events are no longer in the archive")


def read_archive(aws: "Aws", topology: "Topology") -> dict[str, Any]:
    """DescribeArchive of the topology's archive; a missing one is a clear refusal."""
    archive = topology.bus.archive
    if archive is None:
        raise ReplayError("the topology declares no archive (bus.archive): there is nothing to replay from",
                          hint="declare bus.archive in topology.yaml and run `cabructl apply`; events archived from then on can be replayed")
    with aws_calls(f"DescribeArchive {archive.name}"):
        found = aws.find(lambda: aws.client("events").describe_archive(ArchiveName=archive.name))
    if found is None:
        raise ReplayError(f"archive {archive.name} does not exist", hint="run `cabructl apply` to create it")
    return found


def prepare(aws: "Aws", topology: "Topology", start: _dt.datetime, end: _dt.datetime, rules: Sequence[str],
            name: str | None, now: _dt.datetime) -> ReplayRequest:
    """Every check that needs no money decision, offline ones first so a typo costs no AWS call."""
    chosen = choose_rules(topology, rules)
    replay_name = check_name(name or default_name(topology, now))
    check_window(start, end, now)
    archive = read_archive(aws, topology)
    check_retention(archive, start, now)
    bus_arn = archive["EventSourceArn"]
    return ReplayRequest(replay_name, archive["ArchiveName"], archive["ArchiveArn"], bus_arn, chosen,
                         tuple(_rule_arn(bus_arn, topology.rules[logical].name) for logical in chosen), start, end, archive)


def _rule_arn(bus_arn: str, rule_name: str) -> str:
    """A rule's ARN from its bus's: ``…:event-bus/BUS`` → ``…:rule/BUS/RULE`` (``rule/RULE`` on the default bus)."""
    head, bus = bus_arn.split(":event-bus/", 1)
    return f"{head}:rule/{rule_name}" if bus == "default" else f"{head}:rule/{bus}/{rule_name}"


# -- pricing -------------------------------------------------------------------------------------
def estimate(aws: "Aws", topology: "Topology", request: ReplayRequest, pricing: str | None = None) -> ReplayEstimate:
    """How many events the replay sends, and what they cost against the month's budget.

    CloudWatch's MatchedEvents of the chosen rules over the window count what those
    rules saw then, which is what they will see again; without datapoints the whole
    archive's EventCount is the (upper-bound) estimate. Replayed events are billed as
    events per 64 KB chunk and match their rules again.
    """
    from cabructl.policy.pricing import Volume
    from cabructl.policy.report import project
    from cabructl.policy.traffic import WORST

    events, basis = _counted_events(aws, topology, request)
    model, policy_set = project(topology, pricing)
    count, size = int(request.archive.get("EventCount") or 0), int(request.archive.get("SizeBytes") or 0)
    chunks = model.profile.chunks(size // count if count else 0)
    cost = model.profile.cost(Volume(replayed_events=events * chunks, rule_matches=events))
    cost_check = policy_set.checks.get("COST001") if isinstance(policy_set.checks, dict) else None
    case = (cost_check.parameters.get("case") if cost_check else None) or WORST
    budget = topology.budget
    return ReplayEstimate(events, basis, chunks, cost, model.total(case).total, budget.monthly_usd if budget else None)


def _counted_events(aws: "Aws", topology: "Topology", request: ReplayRequest) -> tuple[float, str]:
    """Events the chosen rules matched in the window (CloudWatch), else the archive's EventCount."""
    from cabructl.policy.usage import CLOCK_SLACK, rule_metric_window

    end = request.end + CLOCK_SLACK  # datapoints of the window's last second, as `cabructl cost` reads them
    with aws_calls("GetMetricData AWS/Events MatchedEvents"):
        sums = rule_metric_window(aws, topology, list(request.rules), request.start, end)
    if sums:
        return float(sum(sums.values())), f"CloudWatch MatchedEvents of {len(request.rules)} rule(s) over the window"
    count = float(request.archive.get("EventCount") or 0)
    return count, "the archive's EventCount (no CloudWatch datapoints for the window; the whole archive, an upper bound)"


def refuse_over_budget(estimate_: ReplayEstimate) -> None:
    """The budget is the topology's promise: a replay that breaks it needs an explicit override."""
    if estimate_.over_budget:
        raise ReplayError(f"the replay (${estimate_.cost.total:,.6f}) on top of the projected month "
                          f"(${estimate_.month_usd or 0:.2f}) exceeds the budget of ${estimate_.budget_usd:.2f}",
                          hint="narrow the window or the rules, or pass --allow-over-budget")


# -- running and watching ------------------------------------------------------------------------
def start(aws: "Aws", request: ReplayRequest) -> ReplayStatus:
    """StartReplay, then the replay as DescribeReplay sees it."""
    with aws_calls(f"StartReplay {request.name}"):
        aws.client("events").start_replay(**request.start_parameters())
    return status(aws, request.name)


def status(aws: "Aws", name: str) -> ReplayStatus:
    """DescribeReplay; an unknown name is a refusal naming `replay list`."""
    with aws_calls(f"DescribeReplay {name}"):
        found = aws.find(lambda: aws.client("events").describe_replay(ReplayName=name))
    if found is None:
        raise ReplayError(f"replay {name!r} does not exist", hint="`cabructl replay list` shows the topology's replays")
    return ReplayStatus.from_aws(found)


def list_replays(aws: "Aws", topology: "Topology") -> list[ReplayStatus]:
    """The replays of the topology's archive (ListReplays takes one filter: the archive's ARN)."""
    archive = read_archive(aws, topology)
    client = aws.client("events")
    request: dict[str, Any] = {"EventSourceArn": archive["ArchiveArn"]}
    found: list[ReplayStatus] = []
    with aws_calls("ListReplays"):
        while True:
            page = client.list_replays(**request)
            found += [ReplayStatus.from_aws(item) for item in page.get("Replays", [])]
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return sorted(found, key=lambda item: (item.started_at or _dt.datetime.min.replace(tzinfo=_dt.timezone.utc), item.name))


def cancel(aws: "Aws", name: str) -> str:
    """CancelReplay; the state AWS answers (CANCELLING, usually)."""
    with aws_calls(f"CancelReplay {name}"):
        try:
            answer = aws.client("events").cancel_replay(ReplayName=name)
        except Exception as error:
            if is_not_found(error):
                raise ReplayError(f"replay {name!r} does not exist", hint="`cabructl replay list` shows the topology's replays") from error
            raise
    return str(answer.get("State", "CANCELLING"))


def wait(aws: "Aws", name: str, on_progress: Callable[[ReplayStatus], None], interval: float = DEFAULT_POLL_SECONDS,
         sleep: Callable[[float], None] = time.sleep) -> ReplayStatus:
    """Poll DescribeReplay until the replay reaches a final state, reporting each reading."""
    while True:
        current = status(aws, name)
        on_progress(current)
        if current.done:
            return current
        sleep(interval)
