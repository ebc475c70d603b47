"""A target's role as it is live: its trust policy and every policy that speaks for it.

EventBridge delivers with the target's RoleArn when one is set: it assumes the role
(the trust policy must let events.amazonaws.com) and acts with the role's policies.
The local endpoint reads both to fail a delivery AWS would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from cabructl.resources.targets.base import Clients


@dataclass(frozen=True)
class LiveRole:
    trust: Mapping[str, Any]
    policies: tuple[Mapping[str, Any], ...]  # attached managed policies' default versions, then inline ones


def live_role(clients: Clients, role_arn: str) -> LiveRole | None:
    """The role's trust and policies, or None when there is no such role (NotFound propagates as None)."""
    iam = clients("iam", role_arn)
    name = role_arn.rsplit("/", 1)[-1]
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None
    policies: list[Mapping[str, Any]] = []
    for attached in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        policies.append(_document(iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]))
    for inline in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
        policies.append(_document(iam.get_role_policy(RoleName=name, PolicyName=inline)["PolicyDocument"]))
    return LiveRole(_document(role.get("AssumeRolePolicyDocument") or {}), tuple(policies))


def _document(value: Any) -> Mapping[str, Any]:
    """boto3 decodes IAM's URL-encoded documents; moto's may still be JSON text."""
    if isinstance(value, str):
        import json
        from urllib.parse import unquote

        return json.loads(unquote(value))
    return value
