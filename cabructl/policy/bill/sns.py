"""SNS's month: EventBridge's publishes to topic targets and each delivery to the topics' subscribers.

A publish is billed per 64 KB chunk; every published message reaches each subscription, priced by
its protocol (``topics.NAME.subscribers`` declares how many of each, since cabructl creates none).
"""

from __future__ import annotations

from cabructl.policy.bill.inputs import BillInputs, add_to
from cabructl.policy.bill.items import LineItem, ServiceBill
from cabructl.policy.pricing import MILLION

SERVICE = "sns"
# Subscription protocol → its price key; SMS is priced per message and country.
PROTOCOL_PRICES = {"http": "http_deliveries_per_million", "email": "email_deliveries_per_million",
                   "sqs": "sqs_deliveries_per_million", "lambda": "lambda_deliveries_per_million",
                   "mobile_push": "mobile_push_deliveries_per_million"}
UNPRICED_PROTOCOLS = ("sms",)


def bill(inputs: BillInputs) -> ServiceBill:
    topology, profile = inputs.topology, inputs.profile
    publishes: dict[str, dict[str, float]] = {}
    deliveries: dict[str, dict[str, dict[str, float]]] = {protocol: {} for protocol in PROTOCOL_PRICES}
    published_topics = set()
    for flow in inputs.flows_billed_as(SERVICE):
        topic = topology.topics[flow.destination]
        published_topics.add(topic.logical)
        add_to(publishes, flow.agent, flow.deliveries, profile.request_chunks(flow.delivered_bytes))
        for protocol, count in topic.subscribers.items():
            if protocol in PROTOCOL_PRICES:
                chunks = profile.request_chunks(flow.delivered_bytes) if protocol == "http" else 1
                add_to(deliveries[protocol], flow.agent, flow.deliveries, count * chunks)
    items: list[LineItem] = [inputs.item(SERVICE, "publishes", "publishes (64 KB chunks)", "requests", "publishes_per_million",
                                         MILLION, publishes, "deliveries to topic targets × chunks")]
    items += [inputs.item(SERVICE, f"{protocol}_deliveries", f"{protocol} deliveries", "notifications", price_key, MILLION,
                          deliveries[protocol], f"published messages × {protocol} subscribers")
              for protocol, price_key in PROTOCOL_PRICES.items() if deliveries[protocol]]
    notes = [f"deliveries of topic {topology.topics[logical].name}: it declares no subscribers (topics.{logical}.subscribers)"
             for logical in sorted(published_topics) if not topology.topics[logical].subscribers]
    notes += [f"{protocol} deliveries of topic {topic.name} (priced per message and country)"
              for topic in topology.topics.values() for protocol in UNPRICED_PROTOCOLS if topic.subscribers.get(protocol)]
    notes += [f"what the sqs and lambda subscribers of topic {topic.name} themselves bill (their queues' requests, the functions)"
              for topic in topology.topics.values() if topic.subscribers.get("sqs") or topic.subscribers.get("lambda")]
    service = profile.services[SERVICE]
    return ServiceBill(SERVICE, service.title, tuple(items), f"{service.source} (read {service.read})", not_modelled=tuple(notes))
