"""Encryption keys: which key encrypts what EventBridge delivers to, and the checks ``validate`` makes of it.

EventBridge writes to an encrypted queue or topic only with a key whose key policy lets
``events.amazonaws.com`` use it. An AWS-managed key (``alias/aws/sqs``, ``alias/aws/sns``)
has a policy nobody can change, so a target under one fails every delivery: that is a
topology error, found here rather than by the first lost event. A key declared in ``keys``
gets a derived key policy that allows exactly the rules that deliver under it.

The helpers here are read by the ``kms.key`` handler (which rules its policy names) and by
the policy check that proves that policy offline, so both see the same deliveries.
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple, Optional, Union

from cabructl.diagnostics import Path, did_you_mean
from cabructl.topology.model import QUEUE_ENCRYPTIONS, Rule, Target, Topology
from cabructl.topology.targets import target_keys

WARNING = "warning"
Finding = tuple[Path, str, str, Optional[str]]
Warned = tuple[Path, str, str, Optional[str], str]

# The AWS-managed key of each section whose resources EventBridge delivers to, by section.
AWS_MANAGED_KEYS = {"queues": "alias/aws/sqs", "topics": "alias/aws/sns"}
_LABELS = {"queues": "SQS queue", "topics": "SNS topic"}
_ALIAS = re.compile(r"^[A-Za-z0-9/_-]{1,250}$")  # what follows ``alias/`` (256 characters in all)


class Delivery(NamedTuple):
    """One way a rule sends events to an owned resource: as a target, or to its dead-letter queue."""

    rule: Rule
    target: Target
    section: str  # where the resource is declared: ``queues``
    logical: str
    path: Path  # the key that names the resource in the rule (``…targets[0].queue``)


def deliveries(topology: Topology) -> Iterator[Delivery]:
    """Every delivery of every rule to a queue or topic the topology declares."""
    for rule in topology.rules.values():
        for target in rule.targets:
            key = target_keys()[target.kind]
            if not key.referenced and key.section:
                yield Delivery(rule, target, str(key.section), target.ref, target.path + (target.kind,))
            if target.dead_letter is not None:
                yield Delivery(rule, target, "queues", target.dead_letter, target.path + ("dead_letter",))


def declared_key(topology: Topology, section: str, logical: str) -> str | None:
    """The logical name (in ``keys``) of the key that encrypts ``section.logical``, if it names one."""
    resource = getattr(topology, section, {}).get(logical)
    return getattr(resource, "key", None)


def key_behind(topology: Topology, section: str, logical: str) -> str | None:
    """The declared key that really encrypts ``section.logical``: the one ``encryption`` names, or the one
    whose alias a ``kms_key`` spells out (``alias/<alias>`` or its ARN), which cabructl's derived key policy
    then knows nothing about."""
    named = declared_key(topology, section, logical)
    if named is not None:
        return named
    written = getattr(getattr(topology, section, {}).get(logical), "kms_key", None) or ""
    alias = written.split(":", 5)[-1] if written.startswith("arn:") else written
    return next((key.logical for key in topology.keys.values() if key.alias_name == alias), None)


def kms_key(topology: Topology, section: str, logical: str) -> str | None:
    """The KMS key a queue or topic is encrypted with, as AWS is told it: a declared key's alias, the
    ``kms_key`` written, or for a queue with ``encryption: kms`` and no key the AWS-managed one."""
    resource = getattr(topology, section).get(logical) if section in AWS_MANAGED_KEYS else None
    if resource is None:
        return None
    if resource.key:
        declared = topology.keys.get(resource.key)
        return declared.alias_name if declared is not None else None
    if section == "queues" and resource.encryption != "kms":
        return None
    return resource.kms_key or (AWS_MANAGED_KEYS["queues"] if section == "queues" else None)


def rules_under_key(topology: Topology, key: str) -> list[Rule]:
    """The rules that deliver to a resource encrypted with the declared key ``key`` (targets and
    dead-letter queues): the rules its key policy lets EventBridge use it for."""
    rules: dict[str, Rule] = {}
    for delivery in deliveries(topology):
        if declared_key(topology, delivery.section, delivery.logical) == key:
            rules.setdefault(delivery.rule.logical, delivery.rule)
    return list(rules.values())


def _unknown_key(path: Path, name: str, topology: Topology, also: tuple[str, ...] = ()) -> Finding:
    """``also``: the other words the key's place takes (a queue's ``sqs``, ``kms``, ``none``), for the "did you mean"."""
    known = sorted(topology.keys)
    hint = did_you_mean(name, [*known, *also]) or (f"known: {', '.join(known)}" if known else "declare it under `keys`")
    return (path, "unknown-key", f'no key "{name}"', hint)


def _named_keys(topology: Topology) -> Iterator[tuple[Path, str, tuple[str, ...]]]:
    """Every place that names a declared key, the name, and the other words that place takes."""
    for section, also in (("queues", QUEUE_ENCRYPTIONS), ("topics", ())):
        for resource in getattr(topology, section).values():
            if resource.key:
                yield resource.path + ("encryption",), resource.key, also
    if topology.bus.key:
        yield topology.bus.path + ("encryption",), topology.bus.key, ()
    archive = topology.bus.archive
    if archive is not None and archive.key:
        yield archive.path + ("encryption",), archive.key, ()


def check_keys(topology: Topology) -> Iterator[Union[Finding, Warned]]:
    """Named keys exist; a topic names one key only; an encrypted bus warns that schema discovery cannot run."""
    for path, name, also in _named_keys(topology):
        if name not in topology.keys:
            yield _unknown_key(path, name, topology, also)
    for key in topology.keys.values():
        if not _ALIAS.match(key.alias) or key.alias.lower().startswith("aws/"):
            yield (key.path + ("alias",), "invalid-alias", f'key alias "{key.alias}" is not one KMS allows (at most 250 of '
                   "letters, digits, `/`, `_` and `-`, not beginning with `aws/`)", None)
    for topic in topology.topics.values():
        if topic.key and topic.kms_key:
            yield (topic.path + ("kms_key",), "two-keys", "a topic is encrypted with one key: `encryption` or `kms_key`, not both", None)
    if topology.bus.key:
        yield (topology.bus.path + ("encryption",), "no-schema-discovery",
               "schema discovery cannot run on a bus encrypted with a customer-managed key",
               "declare every event's schema under `schemas.events`: none will be discovered", WARNING)


def check_aws_managed_keys(topology: Topology) -> Iterator[Finding]:
    """A queue or topic EventBridge delivers to must not be under an AWS-managed key: its key
    policy cannot be changed to let EventBridge use it, so every delivery would fail. Said once
    per resource, at the key that names it, with the first rule that delivers there."""
    seen: set[tuple[str, str]] = set()
    for delivery in deliveries(topology):
        resource = getattr(topology, delivery.section).get(delivery.logical) if delivery.section in AWS_MANAGED_KEYS else None
        key = kms_key(topology, delivery.section, delivery.logical)
        # ``encryption: kms`` without ``kms_key`` is refused on its own (missing-kms-key)
        if resource is None or not resource.kms_key or key != AWS_MANAGED_KEYS[delivery.section]:
            continue
        if (delivery.section, delivery.logical) in seen:
            continue
        seen.add((delivery.section, delivery.logical))
        lost = (f"failed deliveries of target {delivery.target.id} (rule {delivery.rule.logical}) are lost"
                if delivery.path[-1] == "dead_letter" else f"deliveries of rule {delivery.rule.logical} (target {delivery.target.id}) fail")
        yield (resource.path + ("kms_key",), "aws-managed-key",
               f"{_LABELS[delivery.section]} {delivery.logical} is encrypted with {key}, whose key policy EventBridge cannot use: {lost}",
               "declare a customer-managed key under `keys` and name it in `encryption`")
