"""SQS's month: every request the backbone makes of its queues.

- EventBridge's sends: one SendMessage per delivery to a queue target, per 64 KB chunk; and one
  per failed delivery to a target's dead-letter queue, at ``delivery_failure_rate``.
- Each consuming agent's receives of every message its queue gets (deliveries, dead letters, and
  what SQS's redrive moves there, which is no request of its own: :func:`.flows.arrivals`): one
  ReceiveMessage per ``messages_per_receive`` messages (per 64 KB chunk of what it returns), the
  extra receives of messages that fail until SQS moves them to the queue's dead-letter queue
  (``max_receives``), and one DeleteMessageBatch per ``messages_per_delete`` messages.
- Empty receives: every consumer process long-polls all month; a poll that finds nothing lasts
  the queue's ``receive_wait`` (20 s on a queue that does not long-poll: ``constants.long_poll_seconds``,
  as the SDK waits), so each process makes ``seconds a month / wait`` of them. Polls that return
  messages are not subtracted: the figure errs high by at most the receives above.

Standard and FIFO queues have their own price.
"""

from __future__ import annotations

from cabructl.constants import long_poll_seconds
from cabructl.policy.bill.inputs import BillInputs, add_to, names
from cabructl.policy.bill.items import LineItem, ServiceBill, per_case
from cabructl.policy.pricing import MILLION
from cabructl.policy.traffic import CASES
from cabructl.topology.model import Queue

SERVICE = "sqs"
KINDS = ("sends", "receives", "deletes", "empty_receives")
TITLES = {"sends": "SendMessage (64 KB chunks)", "receives": "ReceiveMessage with messages (64 KB chunks)",
          "deletes": "DeleteMessageBatch", "empty_receives": "empty receives (long polls that found nothing)"}
BASES = {"sends": "deliveries and dead letters × chunks", "receives": "messages / messages_per_receive × chunks, failures received max_receives times",
         "deletes": "messages / messages_per_delete", "empty_receives": "consumer processes × seconds a month / receive_wait"}

Quantities = dict[str, dict[str, dict[str, float]]]  # request kind → agent → case → requests


def bill(inputs: BillInputs) -> ServiceBill:
    topology, parameters, profile = inputs.topology, inputs.parameters, inputs.profile
    requests: dict[bool, Quantities] = {False: {kind: {} for kind in KINDS}, True: {kind: {} for kind in KINDS}}
    arriving: dict[str, dict[str, dict[str, float]]] = {}  # queue → agent → case → messages
    sizes: dict[str, int] = {}
    for arrival in inputs.queue_arrivals:
        queue = topology.queues[arrival.queue]
        if arrival.sent:
            add_to(requests[queue.fifo]["sends"], arrival.agent, arrival.messages, profile.request_chunks(arrival.size))
        add_to(arriving.setdefault(queue.logical, {}), arrival.agent, arrival.messages)
        sizes[queue.logical] = max(sizes.get(queue.logical, 0), arrival.size)
    consumers = _consumers(inputs)
    for logical, agents in consumers.items():
        _consume(inputs, topology.queues[logical], agents, arriving.get(logical, {}), sizes.get(logical, 0), requests[topology.queues[logical].fifo])
    items: list[LineItem] = []
    for fifo, by_kind in requests.items():
        if fifo and not any(queue.fifo for queue in topology.queues.values()):
            continue
        price_key = "fifo_requests_per_million" if fifo else "standard_requests_per_million"
        suffix = "_fifo" if fifo else ""
        items += [inputs.item(SERVICE, kind + suffix, TITLES[kind] + (" (FIFO)" if fifo else ""), "requests", price_key, MILLION,
                              by_kind[kind], BASES[kind], fixed=kind == "empty_receives") for kind in KINDS]
    unread = [queue.name for queue in topology.queues.values() if queue.logical not in consumers]
    notes = (f"receives and deletes of queues no declared agent consumes ({names(unread)}): whoever reads them",) if unread else ()
    notes += ("ChangeMessageVisibility heartbeats of handlers that outlast a queue's visibility timeout",)
    service = profile.services[SERVICE]
    return ServiceBill(SERVICE, service.title, tuple(items), f"{service.source} (read {service.read})",
                       assumptions=(f"{parameters.consumer_processes} consumer process(es) per consuming agent and queue, "
                                    f"{parameters.messages_per_receive:g} message(s) per receive, {parameters.messages_per_delete:g} per delete, "
                                    f"failure rate {parameters.delivery_failure_rate:g}",),
                       not_modelled=notes)


def _consumers(inputs: BillInputs) -> dict[str, list[str]]:
    """Queue (logical) → the agents that consume it, for the queues some agent consumes."""
    topology = inputs.topology
    found = {queue: [agent.name for agent in topology.consumers_of(queue)] for queue in topology.queues}
    return {queue: agents for queue, agents in found.items() if agents}


def _consume(inputs: BillInputs, queue: Queue, agents: list[str], arriving: dict[str, dict[str, float]], size: int,
             requests: Quantities) -> None:
    """The requests ``agents`` make of ``queue``: its messages are shared among them, each polls all month."""
    parameters, profile = inputs.parameters, inputs.profile
    messages = {case: sum(counts[case] for counts in arriving.values()) for case in CASES}
    receive_chunks = profile.request_chunks(size * parameters.messages_per_receive)
    receives = receives_per_message(queue, parameters.delivery_failure_rate)
    polls = empty_receives(queue, parameters.consumer_processes, inputs.month_seconds)
    for agent in agents:
        share = {case: messages[case] / len(agents) for case in CASES}
        add_to(requests["receives"], agent, share, receive_chunks * receives / parameters.messages_per_receive)
        add_to(requests["deletes"], agent, share, deletes_per_message(parameters.delivery_failure_rate) / parameters.messages_per_delete)
        add_to(requests["empty_receives"], agent, per_case(polls))


def receives_per_message(queue: Queue, failure_rate: float) -> float:
    """How often a consumer receives one message: once, and a failed one until SQS's redrive moves it
    (``max_receives``), at ``failure_rate``. What the bill prices and what ``cost`` expects to count."""
    return 1 + (failure_rate * max(0, queue.redrive_max_receives - 1) if queue.redrive_dead_letter else 0.0)


def deletes_per_message(failure_rate: float) -> float:
    """A handled message is deleted; a failed one is left to SQS."""
    return 1 - failure_rate


def empty_receives(queue: Queue, processes: int, seconds: float) -> float:
    """Long polls that find nothing in ``seconds`` by ``processes`` consumer processes of one agent."""
    return processes * seconds / long_poll_seconds(queue.receive_wait)
