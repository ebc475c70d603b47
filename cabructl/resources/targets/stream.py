"""A Kinesis data stream as a rule's target (``stream: <ARN or name>``): referenced, never created.

EventBridge writes one record per event with a role (``kinesis:PutRecord``), keyed by
``partition_key`` (KinesisParameters.PartitionKeyPath) or, without one, by the event id.
The path is read from the event itself, not from the rendered input, as AWS documents
("the JSON path to be extracted from the event"); so is every other parameter a target
takes from the event (an API destination's dynamic path parameters, headers and query).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from cabructl.resources.base import Context
from cabructl.resources.targets.base import Clients, Outgoing, TargetKind, from_event
from cabructl.resources.targets.referenced import referenced_arn
from cabructl.topology.model import Topology

stream_arn = referenced_arn("kinesis", "stream/")

def partition_key(outgoing: Outgoing) -> str:
    """KinesisParameters.PartitionKeyPath read from the event; the event id without one, or when the
    path selects nothing (*inferred*: AWS does not document that case)."""
    path = (outgoing.target.get("KinesisParameters") or {}).get("PartitionKeyPath")
    key = from_event(path, outgoing.original_event()) if path else None
    return str(key) if key not in (None, "") else outgoing.event_id


def send(clients: Clients, outgoing: Outgoing) -> None:
    """What EventBridge does for a stream target: one PutRecord of the rendered input."""
    clients("kinesis", outgoing.arn).put_record(StreamARN=outgoing.arn, Data=outgoing.body.encode(),
                                                PartitionKey=partition_key(outgoing))


def watch(aws: Any, topology: Topology, context: Context, reference: str) -> Callable[[], Iterator[str]]:
    """Read every shard from its latest record at the time of watching (GetRecords, not consuming)."""
    kinesis, arn = aws.client("kinesis"), stream_arn(topology, context, reference)
    shards = kinesis.list_shards(StreamARN=arn).get("Shards", [])
    iterators = {shard["ShardId"]: kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard["ShardId"],
                                                               ShardIteratorType="LATEST")["ShardIterator"]
                 for shard in shards}

    def read() -> Iterator[str]:
        for shard, iterator in list(iterators.items()):
            response = kinesis.get_records(ShardIterator=iterator, StreamARN=arn)
            iterators[shard] = response.get("NextShardIterator") or iterator
            yield from (_text(record["Data"]) for record in response.get("Records", []))

    return read


def _text(data: Any) -> str:
    return data.decode() if isinstance(data, (bytes, bytearray)) else str(data)


STREAM = TargetKind(
    key="stream",
    resource_kind=None,
    label="Kinesis stream",
    arn=stream_arn,
    delivery=None,
    service="kinesis",
    role_action="kinesis:PutRecord",
    watch=watch,
    send=send,
    unpriced="the stream's shard hours and PUT payload units (Amazon Kinesis Data Streams)",
)
