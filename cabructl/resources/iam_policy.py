"""iam.policy: the managed policies agents publish with — one per agent, and the seed's shared one —
and the consumer policy of each agent that consumes queues (:mod:`cabructl.resources.iam_consumer`).

Each agent gets ``{prefix}<agent>-publisher`` (address ``iam.policy.<agent>-publisher``):
PutEvents on the bus only with ``events:source`` equal to the agent's source and
``events:detail-type`` among its declared events' detail-types (``StringEquals``; EventBridge
authorizes each PutEvents entry on its own source and detail-type), so no agent can publish
as another. The shared ``iam.publisher_policy`` (``iam.policy.publisher_policy``) stays for
principals already attached to it; ``publish: any_agent`` keeps the seed's unconditioned
PutEvents, which ``policy check`` reports, and ``publish: none`` leaves it the schema reads.

Both read the registry the way the SDK needs: ``DescribeRegistry``/``DescribeSchema`` on the
registry and its schemas, and ``GetDiscoveredSchema`` on ``*`` in a statement of its own,
because that action has no resource type (a registry ARN would grant nothing).

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
from cabructl.resources.iam_consumer import consumer_document, consumer_policies
from cabructl.resources.importing import TAGS, Field, KindImporter
from cabructl.resources.documents import normalize_policy, policy, publishes_as
from cabructl.resources.tags import recorded_address
from cabructl.topology.model import AGENT_PUBLISHER_SUFFIX, Agent, Topology, agent_publisher_policy_name

KIND = "iam.policy"
SHARED_LOGICAL = "publisher_policy"
PUBLISHER_ADDRESS = address(KIND, SHARED_LOGICAL)  # iam.publisher_policy, whatever its name
PUBLISH_ANY_AGENT = "any_agent"

REGISTRY_READ_ACTIONS = ("schemas:DescribeRegistry", "schemas:DescribeSchema")
DISCOVERED_SCHEMA_ACTION = "schemas:GetDiscoveredSchema"  # no resource type: granted on "*" alone


class PolicyHandler(Handler):
    kind = KIND
    section = "iam"
    replace_on = ("description",)  # IAM has no call that changes a policy's description
    importer = KindImporter(lambda topology, logical: topology.publisher_policy if logical == SHARED_LOGICAL else None,
                            {"description": Field(("description",)), **TAGS},
                            {"document": "generated from the bus, the registry and the agents; `cabructl apply` restores it"})

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        """The shared policy first, then one per agent, then each consuming agent's consumer policy
        (:mod:`cabructl.resources.iam_consumer`); each only when it grants something (IAM refuses an
        empty document: an agent with no event and no registry to read gets no publisher policy)."""
        resources = []
        shared = topology.publisher_policy
        document = publisher_document(topology, context)
        if shared is not None and document is not None:
            resources.append(self._resource(topology, context, PUBLISHER_ADDRESS, shared.name, shared.description, shared.tags, document))
        for agent in topology.agents.values():
            document = agent_publisher_document(topology, context, agent)
            if document is not None:
                resources.append(self._resource(topology, context, agent_policy_address(agent.name),
                                                agent_publisher_policy_name(topology, agent.name),
                                                f"Lets the {agent.name} agent publish only its own events and read the registry",
                                                {}, document))
        for where, name, description, agent in consumer_policies(topology):
            resources.append(self._resource(topology, context, where, name, description, {},
                                            consumer_document(topology, context, agent)))
        return resources

    def _resource(self, topology: Topology, context: Context, where: str, name: str, description: str,
                  tags: Mapping[str, str], document: dict[str, Any] | None) -> Resource:
        attributes = {"description": description, "document": document, "tags": topology.resource_tags(dict(tags), address=where)}
        return Resource(where, KIND, name, attributes, (), {"arn": policy_arn(context, name)})

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
    """The shared policy: the seed's unconditioned PutEvents (``publish: any_agent``), and the schema reads."""
    shared = topology.publisher_policy
    statements = []
    if shared is None or shared.publish == PUBLISH_ANY_AGENT:
        statements.append({"Sid": "PublishToBus", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [bus_arn(topology, context)]})
    return policy(statements + schema_read_statements(topology, context))


def agent_publisher_document(topology: Topology, context: Context, agent: Agent) -> dict[str, Any] | None:
    """PutEvents on the bus as this agent only (its source, its events' detail-types), and the schema reads.

    An agent that declares no event gets no PutEvents statement: the SDK could not publish
    anything for it, and an empty condition list would not be a valid policy."""
    statements = []
    if topology.detail_types_of(agent):
        statements.append({"Sid": "PublishOwnEvents", "Effect": "Allow", "Action": ["events:PutEvents"],
                           "Resource": [bus_arn(topology, context)],
                           "Condition": publishes_as(topology, agent)})
    return policy(statements + schema_read_statements(topology, context))


def schema_read_statements(topology: Topology, context: Context) -> list[dict[str, Any]]:
    """What the SDK reads in the registry; GetDiscoveredSchema alone on ``*`` (it has no resource type)."""
    if topology.registry is None:
        return []
    schemas = context.arn("schemas", f"schema/{topology.registry.name}/*")
    return [{"Sid": "ReadSchemas", "Effect": "Allow", "Action": list(REGISTRY_READ_ACTIONS),
             "Resource": [registry_arn(topology, context), schemas]},
            {"Sid": "ReadDiscoveredSchemas", "Effect": "Allow", "Action": [DISCOVERED_SCHEMA_ACTION], "Resource": ["*"]}]


def agent_policy_address(agent: str) -> str:
    """``iam.policy.<agent>-publisher``: the suffix keeps it apart from the shared ``iam.policy.publisher_policy``."""
    return address(KIND, f"{agent}{AGENT_PUBLISHER_SUFFIX}")


def agent_of(resource_address: str) -> str | None:
    """The agent whose publisher policy lives at ``resource_address``, or None."""
    prefix = f"{KIND}."
    if not resource_address.startswith(prefix) or not resource_address.endswith(AGENT_PUBLISHER_SUFFIX):
        return None
    return resource_address[len(prefix):-len(AGENT_PUBLISHER_SUFFIX)] or None


def _non_default(versions: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [version for version in versions if not version["IsDefaultVersion"]]


HANDLER = PolicyHandler()
