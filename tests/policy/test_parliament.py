"""An independent second opinion: parliament lints every policy document cabructl derives.

cabructl's own checks (PRIN001, ARN001) read the documents the way cabructl's authors
understand IAM. parliament (duo-labs) is written by others, from the IAM reference, so it
is run here on the same documents: the real topology, every example and every good
fixture, each document found by the same generic walk over the handlers' ``desired``
(``cabructl.policy.derived``), with parliament's community auditors on, rated and filtered
as its CLI does. No finding may be MEDIUM or above.

parliament reads every document as an identity policy. Where that misreads a resource
policy, the reading is adjusted or one named finding is accepted on one named kind of
statement; nothing else is dropped:

- a role's trust policy has no ``Resource`` (IAM refuses one there), which parliament calls
  MALFORMED (HIGH) and then stops reading the statement; the statement is given the role's
  own ARN, which is what ``sts:AssumeRole`` acts on, so the rest of it is still checked;
- read so, a trust statement draws the community auditor's CREDENTIALS_EXPOSURE (MEDIUM) for
  ``sts:AssumeRole``: right for an identity policy (its holder can mint credentials), but letting
  a principal assume the role is what a trust statement is for; whom it admits is PRIN001's
  business (a named service, scoped by aws:SourceArn);
- a key policy's statement granting ``kms:*`` to the key's own account root draws
  PERMISSIONS_MANAGEMENT_ACTIONS (MEDIUM): it is AWS's default key policy statement, which a key
  needs, because a key policy is the only authority over a key and without it no IAM policy of
  the account can grant anything on the key (AWS warns the key becomes unmanageable);
- Lambda permission statement ids (``cabructl-<rule>``) carry ``-``, which Lambda allows and
  IAM's identity policies do not: parliament's INVALID_SID, LOW, below the bar anyway.

An accepted statement is analyzed on its own, where only its one expected finding is allowed;
the rest of the document is analyzed without it, where nothing is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import pytest

parliament = pytest.importorskip("parliament")

from cabructl.policy.derived import DerivedDocument, derived_documents, statements  # noqa: E402
from cabructl.topology import load_topology  # noqa: E402
from support import ROOT  # noqa: E402

TOPOLOGIES = [ROOT / "topology.yaml", *sorted((ROOT / "examples").glob("*.yaml")),
              *sorted((ROOT / "tests" / "fixtures" / "topologies" / "good").glob("*/topology.yaml"))]


def expected_issue(document: DerivedDocument, statement: Mapping[str, Any]) -> str | None:
    """The one parliament finding a statement of this kind is known to draw (see the module docstring), or None."""
    if _is_trust(statement):
        return "CREDENTIALS_EXPOSURE"
    account = (document.arn or "").split(":")[4:5]
    root = f"arn:aws:iam::{account[0]}:root" if account else None
    principal = statement.get("Principal")
    if document.kind == "kms.key" and isinstance(principal, Mapping) and principal.get("AWS") in (root, [root]):
        return "PERMISSIONS_MANAGEMENT_ACTIONS"
    return None


def as_parliament_reads(document: DerivedDocument, statement: Mapping[str, Any]) -> Mapping[str, Any]:
    """A statement as an identity-policy linter can read it: a trust statement gets the role's ARN."""
    return {**statement, "Resource": document.arn} if _is_trust(statement) and document.arn else statement


def _is_trust(statement: Mapping[str, Any]) -> bool:
    actions = statement.get("Action")
    actions = actions if isinstance(actions, list) else [actions]
    return "Resource" not in statement and "NotResource" not in statement and all(
        isinstance(action, str) and action.lower().startswith("sts:assumerole") for action in actions)


@pytest.fixture(scope="module", autouse=True)
def community_severities() -> None:
    """What ``parliament --include-community-auditors`` does first: give their findings a severity."""
    parliament.override_config(str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"))


def failing(policy: Mapping[str, Any], expected: str | None = None) -> list[str]:
    """parliament's findings at MEDIUM or above, as its CLI rates and filters them (``--minimum_severity MEDIUM``):
    ``analyze_policy_string`` returns findings without a severity until ``enhance_finding`` gives them one."""
    from parliament.cli import is_finding_filtered

    analyzed = parliament.analyze_policy_string(json.dumps(policy), include_community_auditors=True)
    rated = [parliament.enhance_finding(finding) for finding in analyzed.findings]
    return [f"{finding.severity} {finding.issue}: {finding.detail} {finding.location}"
            for finding in rated if not is_finding_filtered(finding, "MEDIUM") and finding.issue != expected]


def findings(document: DerivedDocument) -> list[str]:
    """The document's failing findings: its accepted statements each on their own, the rest together."""
    rest: list[Mapping[str, Any]] = []
    found: list[str] = []
    for statement in statements(document.document):
        issue = expected_issue(document, statement)
        if issue is None:
            rest.append(as_parliament_reads(document, statement))
        else:
            found += failing({"Version": document.document.get("Version"), "Statement": [as_parliament_reads(document, statement)]}, issue)
    if rest:
        found += failing({**document.document, "Statement": rest})
    return found


@pytest.mark.parametrize("topology", TOPOLOGIES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_derived_document_passes_parliament(topology: Path) -> None:
    documents = derived_documents(load_topology(str(topology)))
    assert documents, "the walk found no policy document"
    problems = {document.where: findings(document) for document in documents}
    assert {where: found for where, found in problems.items() if found} == {}


def test_the_real_topology_has_the_documents_the_walk_must_find() -> None:
    """The walk is generic; this pins that it does reach each kind cabructl derives today."""
    kinds = {document.kind for document in derived_documents(load_topology(str(ROOT / "topology.yaml")))}
    example = {document.kind for document in derived_documents(load_topology(str(ROOT / "examples" / "all-targets.yaml")))}
    assert {"sqs.queue", "sns.topic", "logs.resource_policy", "iam.policy"} <= kinds
    assert {"iam.role", "lambda.permission"} <= example


def test_parliament_would_catch_the_defect_classes_the_checks_seed() -> None:
    """A second opinion that sees nothing proves nothing: parliament does flag a seeded
    action on a resource type it does not support."""
    seeded = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                     "Resource": "arn:aws:sns:sa-east-1:123456789012:topic"}]}
    [finding] = failing(seeded)
    assert finding.startswith("MEDIUM RESOURCE_MISMATCH")


def test_the_accepted_findings_still_fail_anywhere_else() -> None:
    """The exceptions are per kind of statement: the same grants in an identity policy or a queue policy fail."""
    role = "arn:aws:iam::123456789012:role/r"
    assume = DerivedDocument("iam.policy.p", "iam.policy", ("document",), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]}, "arn:aws:iam::123456789012:policy/p")
    root = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}
    queue = DerivedDocument("sqs.queue.q", "sqs.queue", ("policy",), {"Version": "2012-10-17", "Statement": [root]},
                            "arn:aws:sqs:sa-east-1:123456789012:q")
    assert any("CREDENTIALS_EXPOSURE" in found for found in findings(assume))
    assert any("PERMISSIONS_MANAGEMENT_ACTIONS" in found for found in findings(queue))
