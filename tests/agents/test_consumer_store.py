"""The DynamoDB idempotency store: conditional claims, one winner per event id, and what consumers do with them."""

from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest

from cabructl.agents import DynamoDBStore, MemoryStore
from cabructl.agents.idempotency import ACQUIRED, COMPLETED, IN_PROGRESS, claim_key
from cabructl.topology import Topology

from agent_queues import QUEUE, Queues, consumer_queues, envelope, idempotency_table
from agent_samples import change

TABLE = "agent-state-test"


@pytest.fixture
def queues(topology: Topology) -> Iterator[Queues]:
    with consumer_queues(topology) as made:
        assert topology.idempotency is not None
        idempotency_table(made.aws, topology.idempotency.name)
        idempotency_table(made.aws, TABLE)
        yield made


def test_two_stores_racing_on_one_event_id_have_exactly_one_winner(queues: Queues) -> None:
    first, second = DynamoDBStore(queues.aws, TABLE), DynamoDBStore(queues.aws, TABLE)
    for n in range(10):
        barrier, results = threading.Barrier(2), []

        def claim(store: DynamoDBStore) -> None:
            barrier.wait()
            results.append(store.claim(f"q#race-{n}", 300))

        threads = [threading.Thread(target=claim, args=(store,)) for store in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [ACQUIRED, IN_PROGRESS]


def test_a_completed_claim_is_a_duplicate_and_a_released_one_may_run_again(queues: Queues) -> None:
    mine, theirs = DynamoDBStore(queues.aws, TABLE), DynamoDBStore(queues.aws, TABLE)
    assert mine.claim("q#done", 300) == ACQUIRED
    mine.complete("q#done", 3600)
    assert theirs.claim("q#done", 300) == COMPLETED
    assert mine.claim("q#retry", 300) == ACQUIRED
    theirs.release("q#retry")  # not theirs to drop
    assert theirs.claim("q#retry", 300) == IN_PROGRESS
    mine.release("q#retry")
    assert theirs.claim("q#retry", 300) == ACQUIRED


def test_an_expired_in_progress_claim_is_taken_over(queues: Queues) -> None:
    now = [1_000_000.0]
    crashed = DynamoDBStore(queues.aws, TABLE, clock=lambda: now[0])
    survivor = DynamoDBStore(queues.aws, TABLE, clock=lambda: now[0])
    assert crashed.claim("q#stuck", 300) == ACQUIRED
    now[0] += 301
    assert survivor.claim("q#stuck", 300) == ACQUIRED


def test_consumers_of_the_topology_share_its_table_so_a_redelivery_elsewhere_is_skipped(queues: Queues) -> None:
    body = envelope(change(), event_id="shared-1")
    queues.send(body)
    first = queues.agent("developer-001").run(QUEUE, workers=1, handler=lambda e, c: None, install_signals=False,
                                              wait_seconds=1, idle_exit=1)
    queues.send(body)  # EventBridge delivered it again; another machine receives it
    second = queues.agent("developer-002").run(QUEUE, workers=1, handler=lambda e, c: None, install_signals=False,
                                               wait_seconds=1, idle_exit=1)
    assert (first.handled, second.handled, second.duplicates) == (1, 0, 1)
    assert queues.waiting() == 0
    item = queues.aws.client("dynamodb").get_item(TableName=queues.topology.idempotency.name,
                                                  Key={"id": {"S": claim_key(QUEUE, "shared-1")}})["Item"]
    assert item["status"]["S"] == "COMPLETED"
    assert abs(int(item["expires_at"]["N"]) - (time.time() + 345_600)) < 60  # the queue's retention


def test_an_event_another_consumer_is_handling_is_left_in_the_queue(queues: Queues) -> None:
    table = queues.topology.idempotency.name
    DynamoDBStore(queues.aws, table).claim(claim_key(QUEUE, "held-1"), 300)
    queues.send(envelope(change(), event_id="held-1"))
    stats = queues.agent().run(QUEUE, workers=1, handler=lambda e, c: None, install_signals=False, wait_seconds=1,
                               max_messages=1)
    assert (stats.busy, stats.handled, stats.duplicates) == (1, 0, 0)
    assert queues.waiting() == 1


def test_the_in_process_store_keeps_a_claim_per_queue() -> None:
    store = MemoryStore()
    assert store.claim(claim_key("a", "e"), 300) == ACQUIRED
    assert store.claim(claim_key("b", "e"), 300) == ACQUIRED  # the same event on another queue is handled there too
    store.complete(claim_key("a", "e"), 60)
    assert store.claim(claim_key("a", "e"), 300) == COMPLETED
