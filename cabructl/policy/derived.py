"""Every policy document cabructl would write, found generically, and where the topology causes it.

The least-privilege checks must cover every document the engine derives: the SQS, SNS and
Logs resource policies, the Lambda permissions, the targets role's trust and policy, the
publisher policies, and kinds added later (a bus policy, key policies). Listing them by hand
would miss the next one, so this module runs every handler's ``desired`` offline and keeps
each attribute value that *is* a policy document: a mapping with a ``Statement``, at any depth.

Resources carry no topology path, so a finding is placed through its handler's ``section``:
the address ``<kind>.<logical>`` of a resource maps to ``<section>.<first segment of logical>``
(``sqs.queue.jobs`` → ``queues.jobs``, ``lambda.permission.pings/triage`` → ``rules.pings``).
A derived singleton (the shared Logs policy, the targets role) has no entry of its own, so
the runner's locator falls back to the section that causes it (``log_groups``, ``rules``).
A kind without a section is placed at the top of the file, never dropped (a test keeps every
handler's section declared).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from cabructl.diagnostics import Path
from cabructl.resources import handlers
from cabructl.resources.base import Context, offline_context
from cabructl.topology.model import Topology

@dataclass(frozen=True)
class DerivedDocument:
    """One policy document a resource's desired attributes hold."""

    address: str  # e.g. sqs.queue.jobs
    kind: str  # e.g. sqs.queue
    attribute: tuple[Any, ...]  # where in the attributes, e.g. ("policy",)
    document: Mapping[str, Any]
    arn: str | None = None  # the resource's own ARN, when the handler derives one
    section: str | None = None  # the topology section that causes it (its handler's ``section``)

    @property
    def where(self) -> str:
        """How a message names the document: ``the policy of sqs.queue.jobs``."""
        return f"the {'.'.join(map(str, self.attribute))} of {self.address}"

    @property
    def path(self) -> Path:
        """The topology path of the declaration that causes the resource (see the module docstring)."""
        if self.section is None:
            return ()
        logical = self.address[len(self.kind) + 1:].split("/", 1)[0]
        return (self.section, logical) if logical else (self.section,)


def derived_documents(topology: Topology, context: Context | None = None) -> list[DerivedDocument]:
    """Every policy document of every resource the handlers derive for ``topology`` (offline by default)."""
    context = context or offline_context(topology)
    found: list[DerivedDocument] = []
    for handler in handlers():
        for resource in handler.desired(topology, context):
            arn = resource.identity.get("arn")
            found += [DerivedDocument(resource.address, resource.kind, where, document, arn if isinstance(arn, str) else None,
                                      handler.section) for where, document in _documents_in(resource.attributes, ())]
    return found


def allowed_statements(topology: Topology) -> Iterator[tuple[DerivedDocument, int, Mapping[str, Any]]]:
    """(document, index, statement) for every Allow statement of every derived document: what the
    least-privilege checks each judge."""
    for document in derived_documents(topology):
        for index, statement in enumerate(statements(document.document)):
            if statement.get("Effect") == "Allow":
                yield document, index, statement


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a document, a lone statement object read as a list of one."""
    found = document.get("Statement")
    found = found if isinstance(found, list) else [found]
    return [statement for statement in found if isinstance(statement, Mapping)]


def statement_name(document: DerivedDocument, index: int, statement: Mapping[str, Any]) -> str:
    """How a message names a statement: by its Sid, else by its position."""
    sid = statement.get("Sid")
    return f"statement {sid!r} of {document.where}" if sid else f"statement {index + 1} of {document.where}"


def _documents_in(value: Any, where: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    if isinstance(value, Mapping):
        if "Statement" in value:
            yield where, value
            return
        for key, item in value.items():
            yield from _documents_in(item, where + (key,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _documents_in(item, where + (index,))
