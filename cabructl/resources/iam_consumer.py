"""The consumer policy of an agent that declares ``consumes``: ``{prefix}<agent>-consumer``.

Address ``iam.policy.<agent>-consumer``, a managed policy written by the ``iam.policy``
handler like the publisher policies. What it grants is what the SDK's consumer does, and no more:

- on exactly the consumed queues: receive, delete, extend visibility, read attributes
  (ApproximateReceiveCount, the redrive policy) and resolve the URL by name;
- ``sqs:SendMessage`` on their redrive dead-letter queues: a message that cannot be parsed,
  or fails its schema, is dead-lettered by the consumer at once instead of being retried
  ``max_receives`` times;
- the item reads and writes of the idempotency table (conditional put, update, delete);
- on a topology key that encrypts a consumed queue, ``kms:Decrypt`` (receiving from an SSE-KMS
  queue decrypts); on one that encrypts a dead-letter queue, also ``kms:GenerateDataKey``
  (sending encrypts). A key's ARN is not known before it exists, so the statement is on the
  account's keys (``key/*``) under the tags cabructl puts on its own keys (``aws:ResourceTag``:
  the key's ``cabructl:address`` and this topology's ``cabructl:topology``). Not
  ``kms:ResourceAliases``: the IAM reference parliament ships lists it on the key resource type
  but not on the actions, so every linter of the policy would flag it.
"""

from __future__ import annotations

from typing import Any

from cabructl.constants import TAG_ADDRESS, TAG_TOPOLOGY
from cabructl.resources.arns import queue_arn
from cabructl.resources.base import Context, address
from cabructl.topology.model import AGENT_CONSUMER_SUFFIX, Agent, Topology, agent_consumer_policy_name

KIND = "iam.policy"
RECEIVE_ACTIONS = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                   "sqs:ReceiveMessage")
DEAD_LETTER_ACTIONS = ("sqs:SendMessage",)
TABLE_ACTIONS = ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
DECRYPT = "kms:Decrypt"
ENCRYPT = "kms:GenerateDataKey"


def consumer_policy_address(agent: str) -> str:
    """``iam.policy.<agent>-consumer``: beside the agent's ``-publisher`` policy, never confused with it."""
    return address(KIND, f"{agent}{AGENT_CONSUMER_SUFFIX}")


def consumer_policies(topology: Topology) -> list[tuple[str, str, str, Agent]]:
    """(address, name, description, agent) of every consumer policy the topology declares."""
    return [(consumer_policy_address(agent.name), agent_consumer_policy_name(topology, agent.name),
             f"Lets the {agent.name} agent consume only its own queues", agent)
            for agent in topology.agents.values() if consumed(topology, agent)]


def consumed(topology: Topology, agent: Agent) -> list[str]:
    """The declared queues the agent consumes, in a stable order (validate reports unknown names)."""
    return sorted({queue for queue in agent.consumes if queue in topology.queues})


def dead_letters(topology: Topology, agent: Agent) -> list[str]:
    """The redrive dead-letter queues of the consumed queues: where the consumer sends what it gives up on."""
    return sorted({topology.queues[queue].redrive_dead_letter for queue in consumed(topology, agent)
                   if topology.queues[queue].redrive_dead_letter in topology.queues})


def consumer_document(topology: Topology, context: Context, agent: Agent) -> dict[str, Any] | None:
    """The agent's consumer policy (None when it consumes no declared queue: IAM refuses an empty document)."""
    from cabructl.resources.documents import policy

    queues = consumed(topology, agent)
    if not queues:
        return None
    statements = [_allow("ConsumeQueues", RECEIVE_ACTIONS, [queue_arn(topology, context, queue) for queue in queues])]
    letters = dead_letters(topology, agent)
    if letters:
        statements.append(_allow("DeadLetterUnhandled", DEAD_LETTER_ACTIONS, [queue_arn(topology, context, queue) for queue in letters]))
    if topology.idempotency is not None:
        table = context.arn("dynamodb", f"table/{topology.idempotency.name}")
        statements.append(_allow("RecordHandledEvents", TABLE_ACTIONS, [table]))
    statements += _key_statements(topology, context, queues, letters)
    return policy(statements)


def _key_statements(topology: Topology, context: Context, queues: list[str], letters: list[str]) -> list[dict[str, Any]]:
    """Decrypt under the keys of the consumed queues; decrypt and encrypt under those of the dead-letter queues."""
    decrypt_only = _keys(topology, queues) - _keys(topology, letters)
    both = _keys(topology, letters)
    statements = []
    if decrypt_only:
        statements.append(_by_tags("DecryptConsumed", (DECRYPT,), topology, context, decrypt_only))
    if both:
        statements.append(_by_tags("EncryptDeadLetters", (DECRYPT, ENCRYPT), topology, context, both))
    return statements


def _keys(topology: Topology, queues: list[str]) -> set[str]:
    """The logical names of the topology keys that encrypt one of ``queues``."""
    return {key for key in (topology.queues[queue].key for queue in queues) if key in topology.keys}


def _allow(sid: str, actions: tuple[str, ...], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": sorted(resources)}


def _by_tags(sid: str, actions: tuple[str, ...], topology: Topology, context: Context, keys: set[str]) -> dict[str, Any]:
    """The keys of this topology at these addresses, by the tags the kms.key handler writes on them."""
    tags = {f"aws:ResourceTag/{TAG_ADDRESS}": sorted(address("kms.key", key) for key in keys),
            f"aws:ResourceTag/{TAG_TOPOLOGY}": [topology.owner_tag]}
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": [context.arn("kms", "key/*")],
            "Condition": {"StringEquals": tags}}
