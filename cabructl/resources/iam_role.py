"""iam.role: the targets role EventBridge assumes to start executions, put records and events, call APIs.

What the role holds is derived whole (``delivery_grants``): its trust lets EventBridge in only
from this account and the rules that use it; its one inline policy (``cabructl-targets``)
grants each kind's action on exactly the declared ARNs. No target needs it: no role, and a
live one is deleted.

IAM specifics this handler encodes:

- Discovery is one ``GetRole`` on the role's name (tags included; NoSuchEntity: none), then
  the inline policy only when the role exists. IAM is not in the tagging API's index, and a
  topology has at most one such role, so nothing is listed.
- Owned by tags. A role of that name without them is someone else's: a conflict, never taken over.
- Only what changed is written, in place (a role's ARN is in every target that uses it): the
  trust (``UpdateAssumeRolePolicy``), the policy (``PutRolePolicy`` overwrites it), the
  description (``UpdateRole``), tags (``TagRole``/``UntagRole``).
- Delete removes the inline policy cabructl wrote, then the role. A policy someone else
  attached or put is not cabructl's to remove: IAM refuses the delete (DeleteConflict), and the
  apply reports which policies hold it.
- IAM is global: the ARN has no region (``targets_role_arn``).
"""

from __future__ import annotations

from typing import Any

from cabructl.aws import error_code
from cabructl.errors import AwsError
from cabructl.resources.arns import tag_list, tag_map
from cabructl.resources.base import Context, Handler, Resource, compact_json, in_view, is_owned_by, update_tags
from cabructl.resources.delivery_grants import (
    ROLE_KIND, TARGETS_ROLE_ADDRESS, needs_targets_role, targets_role_arn, targets_role_name, targets_role_policy,
    targets_role_trust,
)
from cabructl.resources.documents import normalize_policy
from cabructl.resources.tags import recorded_address
from cabructl.topology.model import Topology

KIND = ROLE_KIND
INLINE_POLICY = "cabructl-targets"
DESCRIPTION = "EventBridge delivers this topology's rules to state machines, streams, buses and API destinations"


class RoleHandler(Handler):
    kind = KIND
    section = "rules"
    # importer stays None: trust, policy and description are derived from the targets; tags from the topology's own.

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        if not needs_targets_role(topology):
            return []
        attributes = {
            "description": DESCRIPTION,
            "trust": normalize_policy(targets_role_trust(topology, context)),
            "policy": normalize_policy(targets_role_policy(topology, context)),
            "tags": topology.resource_tags(address=TARGETS_ROLE_ADDRESS),
        }
        return [Resource(TARGETS_ROLE_ADDRESS, KIND, targets_role_name(topology), attributes, (),
                         {"arn": targets_role_arn(topology, context)})]

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        client = aws.client("iam")
        name = targets_role_name(topology)
        found = aws.find(lambda: client.get_role(RoleName=name)["Role"])
        if found is None:
            return []
        tags = tag_map(found.get("Tags", []))
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return []  # not reachable for a name under the prefix; kept for the one rule every kind follows
        # IAM sends documents URL-encoded; botocore decodes them to dicts before they get here.
        attributes = {"description": found.get("Description", ""), "trust": normalize_policy(found.get("AssumeRolePolicyDocument")),
                      "policy": self._inline_policy(aws, name), "tags": tags}
        return [Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, attributes, (),
                         {"arn": found["Arn"]}, owned)]

    def _inline_policy(self, aws: Any, name: str) -> Any:
        """cabructl's inline policy, normalized; None when it is not there (the role's other policies are not ours)."""
        client = aws.client("iam")
        names = aws.find(lambda: aws.paginate("iam", "list_role_policies", "PolicyNames", RoleName=name)) or []
        if INLINE_POLICY not in names:
            return None
        found = aws.find(lambda: client.get_role_policy(RoleName=name, PolicyName=INLINE_POLICY))
        return normalize_policy(found["PolicyDocument"]) if found else None

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        attributes = resource.attributes
        request = {"RoleName": resource.name, "AssumeRolePolicyDocument": compact_json(attributes["trust"]),
                   "Description": attributes["description"], "Tags": tag_list(attributes["tags"])}
        aws.settle(lambda: aws.client("iam").create_role(**request))
        self._put_policy(aws, resource)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("iam")
        name = live.name
        if "description" in changed:
            aws.settle(lambda: client.update_role(RoleName=name, Description=desired.attributes["description"]))
        if "trust" in changed:
            trust = compact_json(desired.attributes["trust"])
            aws.settle(lambda: client.update_assume_role_policy(RoleName=name, PolicyDocument=trust))
        if "policy" in changed:
            self._put_policy(aws, desired)
        if "tags" in changed:
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}),
                        lambda tags: client.tag_role(RoleName=name, Tags=tag_list(tags)),
                        lambda keys: client.untag_role(RoleName=name, TagKeys=keys))

    def _put_policy(self, aws: Any, resource: Resource) -> None:
        document = compact_json(resource.attributes["policy"])
        aws.settle(lambda: aws.client("iam").put_role_policy(RoleName=resource.name, PolicyName=INLINE_POLICY,
                                                             PolicyDocument=document))

    def delete(self, aws: Any, live: Resource) -> None:
        """cabructl's inline policy, then the role; a policy anyone else added makes IAM refuse (DeleteConflict)."""
        client = aws.client("iam")
        aws.delete(lambda: client.delete_role_policy(RoleName=live.name, PolicyName=INLINE_POLICY))
        try:
            aws.delete(lambda: client.delete_role(RoleName=live.name))
        except Exception as error:
            if error_code(error) != "DeleteConflict":
                raise
            raise AwsError(f"deleting {live.address}: IAM refuses (DeleteConflict): {', '.join(_others(aws, live.name))} "
                           "still on the role, and cabructl did not write them",
                           hint="detach or delete them (they are someone else's), then apply again") from error


def _others(aws: Any, name: str) -> list[str]:
    """The policies on a role that are not cabructl's: what makes IAM refuse to delete it."""
    inline = aws.find(lambda: aws.paginate("iam", "list_role_policies", "PolicyNames", RoleName=name)) or []
    attached = aws.find(lambda: aws.paginate("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name)) or []
    return [f"inline policy {policy}" for policy in inline if policy != INLINE_POLICY] + [
        f"managed policy {policy['PolicyArn']}" for policy in attached] or ["other policies"]


HANDLER = RoleHandler()
