"""Target kinds are data: one descriptor module each, and the topology language's list kept equal to them."""

from __future__ import annotations

from cabructl.resources import handlers
from cabructl.resources.targets import DEAD_LETTER, target_kinds
from cabructl.topology.targets import target_keys


def test_the_language_and_the_registry_name_the_same_kinds() -> None:
    assert list(target_keys()) == list(target_kinds())


def test_each_descriptor_fits_its_key_in_the_schema() -> None:
    kinds = {handler.kind for handler in handlers()}
    for key, kind in target_kinds().items():
        spec = target_keys()[key]
        assert kind.key == key
        assert (kind.resource_kind is None) == spec.referenced, key  # referenced by ARN: never created
        assert kind.resource_kind is None or kind.resource_kind in kinds, key
        # EventBridge delivers through a resource policy cabructl writes, or through a role: one of them.
        assert (kind.delivery is None) == (kind.role_action is not None), key
        assert kind.delivery is None or kind.delivery.policy_kind in kinds, key
        assert kind.sends_role == spec.takes_role, key  # the language refuses a role where AWS does
        assert kind.watch is not None, f"{key}: the demo and the local checks need to see what arrived"


def test_dead_letter_queues_are_a_target_kind() -> None:
    assert target_kinds()[DEAD_LETTER].resource_kind == "sqs.queue"  # AWS: standard SQS queues only
