"""iam.policy: the managed policy agents need to publish — PutEvents on the bus, read the registry.

IAM specifics this handler encodes:

- Discovery lists the account's own policies (``ListPolicies``, scope Local) to
  find those under the topology's prefix beside the declared ones, so a policy
  renamed or no longer declared is found (and replaced or deleted); then one
  ``GetPolicy`` (tags included) and ``GetPolicyVersion`` of the default version
  per candidate. IAM is not in the tagging API's index.
- A managed policy's document is versioned: an update creates a new default
  version. AWS keeps at most five versions (AWS-FACTS), so before creating one
  when five exist, the oldest non-default version is deleted. Deleting the policy
  needs every non-default version deleted first.
- The description cannot change after creation: a new one replaces the policy.
- IAM is global: the ARN has no region (``regional=False``).
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.constants import IAM_MAX_POLICY_VERSIONS
from cabructl.resources.arns import bus_arn, policy_arn, registry_arn, tag_list, tag_map
from cabructl.resources.base import Context, Handler, Resource, address, compact_json, in_view, is_owned_by, update_tags
from cabructl.resources.importing import TAGS, Field, KindImporter
from cabructl.resources.documents import normalize_policy, policy
from cabructl.resources.tags import recorded_address
from cabructl.topology.model import PublisherPolicy, Topology

KIND = "iam.policy"
PUBLISHER_ADDRESS = address(KIND, "publisher_policy")  # iam.publisher_policy, whatever its name

SCHEMA_READ_ACTIONS = ("schemas:DescribeRegistry", "schemas:DescribeSchema", "schemas:GetDiscoveredSchema")


class PolicyHandler(Handler):
    kind = KIND
    replace_on = ("description",)  # IAM has no call that changes a policy's description
    importer = KindImporter(lambda topology, logical: topology.publisher_policy, {"description": Field(("description",)), **TAGS},
                            {"document": "generated from the bus and the registry; `cabructl apply` restores it"})

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        if topology.publisher_policy is None:
            return []
        return [self._desired_policy(topology, context, topology.publisher_policy)]

    def _desired_policy(self, topology: Topology, context: Context, publisher: PublisherPolicy) -> Resource:
        attributes = {
            "description": publisher.description,
            "document": publisher_document(topology, context),
            "tags": topology.resource_tags(publisher.tags, address=PUBLISHER_ADDRESS),
        }
        return Resource(PUBLISHER_ADDRESS, KIND, publisher.name, attributes, (), {"arn": policy_arn(context, publisher.name)})

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        listed = aws.paginate("iam", "list_policies", "Policies", Scope="Local")
        arns = {policy["Arn"] for policy in listed if policy["PolicyName"].startswith(topology.prefix)}
        arns |= {resource.identity["arn"] for resource in desired}
        found = [self._read(aws, topology, arn, desired) for arn in sorted(arns)]
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, arn: str, desired: list[Resource]) -> Resource | None:
        client = aws.client("iam")
        found = aws.find(lambda: client.get_policy(PolicyArn=arn)["Policy"])
        if found is None:
            return None
        version = aws.find(lambda: client.get_policy_version(PolicyArn=arn, VersionId=found["DefaultVersionId"])["PolicyVersion"])
        if version is None:
            return None  # deleted between the two reads
        tags = tag_map(found.get("Tags", []))
        name = found["PolicyName"]
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None  # not ours and not in our way: invisible to cabructl
        # IAM sends the document URL-encoded; botocore decodes it to a dict before it gets here.
        attributes = {"description": found.get("Description", ""), "document": normalize_policy(version["Document"]), "tags": tags}
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, attributes, (), {"arn": arn}, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        attributes = resource.attributes
        request: dict[str, Any] = {"PolicyName": resource.name, "PolicyDocument": compact_json(attributes["document"])}
        if attributes["description"]:
            request["Description"] = attributes["description"]
        if attributes["tags"]:
            request["Tags"] = tag_list(attributes["tags"])
        aws.settle(lambda: aws.client("iam").create_policy(**request))

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("iam")
        arn = live.identity["arn"]
        if "document" in changed:
            self._make_room_for_a_version(aws, arn)
            document = compact_json(desired.attributes["document"])
            aws.settle(lambda: client.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True))
        if "tags" in changed:
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}),
                        lambda tags: client.tag_policy(PolicyArn=arn, Tags=tag_list(tags)),
                        lambda keys: client.untag_policy(PolicyArn=arn, TagKeys=keys))

    def _make_room_for_a_version(self, aws: Any, arn: str) -> None:
        """At the limit, delete the oldest non-default version so the next create succeeds."""
        versions = aws.paginate("iam", "list_policy_versions", "Versions", PolicyArn=arn)
        if len(versions) < IAM_MAX_POLICY_VERSIONS:
            return
        oldest = min(_non_default(versions), key=lambda version: version["CreateDate"])
        aws.delete(lambda: aws.client("iam").delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"]))

    def delete(self, aws: Any, live: Resource) -> None:
        """IAM refuses to delete a policy that still has non-default versions: those go first.
        A policy still attached to roles or users is refused by IAM (DeleteConflict): cabructl
        does not own the attachments, so it reports that instead of detaching."""
        client = aws.client("iam")
        arn = live.identity["arn"]
        versions = aws.find(lambda: aws.paginate("iam", "list_policy_versions", "Versions", PolicyArn=arn)) or []
        for version in _non_default(versions):
            aws.delete(lambda version=version: client.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"]))
        aws.delete(lambda: client.delete_policy(PolicyArn=arn))


def publisher_document(topology: Topology, context: Context) -> dict[str, Any] | None:
    """PutEvents on the bus; with a registry, reading it and every schema in it."""
    statements = [{"Sid": "PublishToBus", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [bus_arn(topology, context)]}]
    if topology.registry is not None:
        schemas = context.arn("schemas", f"schema/{topology.registry.name}/*")
        statements.append({"Sid": "ReadSchemas", "Effect": "Allow", "Action": list(SCHEMA_READ_ACTIONS),
                           "Resource": [registry_arn(topology, context), schemas]})
    return policy(statements)


def _non_default(versions: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [version for version in versions if not version["IsDefaultVersion"]]


HANDLER = PolicyHandler()
