"""Project constraints without Python: JSON-Schema fragments over the topology document.

A team writes ``{properties: {queues: {additionalProperties: {properties: {encryption:
{not: {const: none}}}}}}}`` in policy.yaml and every queue that is not encrypted
becomes a finding at its ``encryption`` line. The fragment sees the document as the
user wrote it, environment merged, before defaults: a key left out is not checked.
"""

from __future__ import annotations

from typing import Iterable

from cabructl.policy.checks.base import Violation
from cabructl.policy.data import Constraint
from cabructl.topology.model import Topology


def constraint_violations(constraint: Constraint, topology: Topology) -> Iterable[Violation]:
    """Where the topology document breaks ``constraint``, one violation per place."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(dict(constraint.schema))
    for error in validator.iter_errors(topology.document):
        yield Violation(tuple(error.absolute_path), f"{constraint.message} ({error.message})")
