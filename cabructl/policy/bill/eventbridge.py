"""EventBridge's month: publishes (per 64 KB chunk), rule matches, replays, the archive, and what
deliveries add (API-destination invocations, delivery to another account).

The first five items are exactly the traffic model's :class:`~cabructl.policy.pricing.CostBreakdown`,
so this bill and every EventBridge figure the tool printed before agree to the cent.
"""

from __future__ import annotations

from typing import Callable

from cabructl.policy.bill.inputs import BillInputs, add_to
from cabructl.policy.bill.items import LineItem, ServiceBill
from cabructl.policy.pricing import EVENTBRIDGE, MILLION, Volume
from cabructl.policy.traffic import CASES

SERVICE = EVENTBRIDGE


def bill(inputs: BillInputs) -> ServiceBill:
    profile, model = inputs.profile, inputs.model
    gb = profile.bytes_per_gb
    archive = inputs.topology.bus.archive
    items = [
        _volume_item(inputs, "published", "events published (64 KB chunks)", "events", "published_events_per_million", MILLION,
                     lambda volume: volume.billed_events, "each agent's events a month × chunks per event"),
        _volume_item(inputs, "rule_matches", "rule matches", "matches", "rule_matches_per_million", MILLION,
                     lambda volume: volume.rule_matches, "the matcher's rule matches of each agent's events"),
        _volume_item(inputs, "replays", "replayed events", "events", "replayed_events_per_million", MILLION,
                     lambda volume: volume.replayed_events, f"published chunks × replayed share {model.parameters.replayed_share:g}"),
        _volume_item(inputs, "archive_processed", "archive: events processed", "GB", "archive_processed_per_gb", 1,
                     lambda volume: volume.archived_bytes / gb, "every published event's bytes" if archive else "no archive"),
        _volume_item(inputs, "archive_stored", "archive: storage", "GB-months", "archive_stored_per_gb_month", 1,
                     lambda volume: volume.stored_byte_months / gb,
                     f"{archive.retention_days or model.parameters.forever_retention_days} days of events held" if archive else "no archive"),
    ]
    invocations: dict[str, dict[str, float]] = {}
    for flow in inputs.flows_billed_as("api_destination"):
        add_to(invocations, flow.agent, flow.deliveries)
    items.append(inputs.item(SERVICE, "api_destination_invocations", "API-destination invocations", "invocations",
                             "api_destination_invocations_per_million", MILLION, invocations,
                             "one per delivery to an API destination"))
    cross: dict[str, dict[str, float]] = {}
    for flow in inputs.flows:
        if flow.other_account:
            add_to(cross, flow.agent, flow.deliveries, profile.chunks(flow.delivered_bytes))
    items.append(inputs.item(SERVICE, "cross_account_delivery", "delivery to other accounts (64 KB chunks)", "events",
                             "cross_account_delivery_per_million", MILLION, cross, "deliveries to targets in another account × chunks"))
    services = profile.services[SERVICE]
    return ServiceBill(SERVICE, services.title, tuple(items), f"{services.source} (read {services.read})",
                       assumptions=("schema discovery: the topology declares no discoverer, so none runs",),
                       not_modelled=())


def _volume_item(inputs: BillInputs, key: str, title: str, unit: str, price_key: str, per: float,
                 quantity: Callable[[Volume], float], basis: str) -> LineItem:
    by_agent = {name: {case: quantity(agent.volume[case]) for case in CASES} for name, agent in inputs.model.agents.items()}
    return inputs.item(SERVICE, key, title, unit, price_key, per, by_agent, basis)
