"""KMS's month: the topology's customer-managed keys, and the requests SQS and SNS make under them.

SQS and SNS reuse a data key for a period (``kms_data_key_reuse_seconds``; AWS's default 300 s),
so their requests do not grow with traffic: per encrypted queue ``seconds / period × (2 × producers
+ consumers)`` (SQS's documented formula: EventBridge produces, each consuming agent consumes), per
encrypted topic ``seconds / period × 2 × producers``. EventBridge documents no request rate for a
bus or archive under a key, so those are listed as not modelled.
"""

from __future__ import annotations

from cabructl.policy.bill.inputs import BillInputs, names, shared
from cabructl.policy.bill.items import ServiceBill
from cabructl.policy.pricing import MILLION

SERVICE = "kms"
PRODUCERS = 1  # EventBridge's service principal delivers to the queue or topic


def bill(inputs: BillInputs) -> ServiceBill:
    topology, parameters = inputs.topology, inputs.parameters
    periods = inputs.month_seconds / parameters.kms_data_key_reuse_seconds
    queues = [queue for queue in topology.queues.values() if queue.key is not None or queue.kms_key is not None]
    topics = [topic for topic in topology.topics.values() if topic.key is not None or topic.kms_key is not None]
    requests = sum(periods * (2 * PRODUCERS + len(topology.consumers_of(queue.logical))) for queue in queues)
    requests += sum(periods * 2 * PRODUCERS for topic in topics)
    items = (
        inputs.item(SERVICE, "keys", "customer-managed keys", "keys", "key_per_month", 1, shared(len(topology.keys)),
                    "keys declared in the topology", fixed=True),
        inputs.item(SERVICE, "requests", "requests from SQS and SNS", "requests", "requests_per_million", MILLION, shared(requests),
                    f"{len(queues)} encrypted queue(s), {len(topics)} topic(s): seconds / {parameters.kms_data_key_reuse_seconds} s "
                    "× (2 × producers + consumers)", fixed=True),
    )
    notes = []
    encrypted = [what for what, key in (("the bus", topology.bus.key), ("the archive", topology.bus.archive and topology.bus.archive.key)) if key]
    if encrypted:
        notes.append(f"KMS requests EventBridge makes for {names(encrypted)} under a customer-managed key (AWS documents no rate)")
    foreign = [queue.name for queue in queues if queue.kms_key] + [topic.name for topic in topics if topic.kms_key]
    if foreign:
        notes.append(f"the monthly price of keys named by ARN, not declared in the topology ({names(foreign)})")
    service = inputs.profile.services[SERVICE]
    return ServiceBill(SERVICE, service.title, items, f"{service.source} (read {service.read})", not_modelled=tuple(notes))
