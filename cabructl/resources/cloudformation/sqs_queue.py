"""sqs.queue as AWS::SQS::Queue, and its delivery policy as an AWS::SQS::QueuePolicy beside it.

The queue's properties are the SQS attributes cabructl sends (:func:`sqs_attributes`), typed
as CloudFormation takes them; the way back makes SQS's string map again and reads it with the
handler's own :func:`live_attributes`, defaults and all.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from cabructl.resources.base import Context, Resource, compact_json
from cabructl.resources.cloudformation.base import MAIN, CfnMapping, Piece, Read, tags, tags_back
from cabructl.resources.sqs_queue import live_attributes, sqs_attributes

POLICY = "Policy"
_INTEGERS = ("MessageRetentionPeriod", "VisibilityTimeout", "ReceiveMessageWaitTimeSeconds", "DelaySeconds")
_BOOLEANS = ("FifoQueue", "SqsManagedSseEnabled")
_DOCUMENTS = ("RedrivePolicy", "RedriveAllowPolicy")


class QueueMapping(CfnMapping):
    kind = "sqs.queue"
    prefix = "Queue"
    suffixes = (MAIN, POLICY)

    def pieces(self, resource: Resource, ids: Mapping[str, str], context: Context) -> list[Piece]:
        sent = sqs_attributes(resource.attributes, include_fifo=True, arn=resource.identity["arn"])
        properties: dict[str, Any] = {"QueueName": resource.name}
        for name, value in sorted(sent.items()):
            if name in _INTEGERS:
                properties[name] = int(value)
            elif name in _BOOLEANS:
                properties[name] = value == "true"
            elif name in _DOCUMENTS:
                properties[name] = json.loads(value)
            elif name != "Policy":
                properties[name] = value
        properties["Tags"] = tags(resource.attributes)
        pieces = [Piece(MAIN, "AWS::SQS::Queue", properties)]
        if resource.attributes.get("policy"):
            pieces.append(Piece(POLICY, "AWS::SQS::QueuePolicy",
                                {"Queues": [{"Ref": ids[MAIN]}], "PolicyDocument": resource.attributes["policy"]}))
        return pieces

    def reference(self, ids: Mapping[str, str], attribute: str) -> str | None:
        main = ids[MAIN]
        return {"arn": f"${{{main}.Arn}}", "name": f"${{{main}.QueueName}}", "url": f"${{{main}}}"}.get(attribute)

    def read(self, address: str, pieces: Mapping[str, Mapping[str, Any]], context: Context) -> Read:
        queue = pieces[MAIN]
        sent: dict[str, str] = {"QueueArn": context.arn("sqs", queue["QueueName"])}
        for name, value in queue.items():
            if name in _BOOLEANS:
                sent[name] = "true" if value else "false"
            elif name in _DOCUMENTS:
                sent[name] = compact_json(value)
            elif name not in ("QueueName", "Tags"):
                sent[name] = str(value)
        if POLICY in pieces:
            sent["Policy"] = compact_json(pieces[POLICY]["PolicyDocument"])
        return Read(address, self.kind, queue["QueueName"], live_attributes(sent, tags_back(queue)))

    def resolve(self, suffix: str, properties: Mapping[str, Any], attribute: str | None, context: Context) -> Any:
        if suffix == MAIN:
            name = properties["QueueName"]
            values = {None: f"https://sqs.{context.region}.amazonaws.com/{context.account_id}/{name}",
                      "Arn": context.arn("sqs", name), "QueueName": name}
            values["QueueUrl"] = values[None]
            if attribute in values:
                return values[attribute]
        return super().resolve(suffix, properties, attribute, context)


MAPPING = QueueMapping()
