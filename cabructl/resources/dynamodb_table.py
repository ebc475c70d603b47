"""dynamodb.table: the idempotency table consumers share so each event id is handled once.

The table is fixed by what the SDK writes into it, not by the topology: on-demand billing
(no capacity to size: its load is the consumers' event rate), partition key ``id`` (the
event id, a string) and time to live on ``expires_at`` (in-progress markers and completed
records expire on their own, so the table never grows without bound). The topology chooses
only its name and tags (``idempotency:``).

DynamoDB specifics this handler encodes:

- Discovery is ``ListTables`` (names under the prefix, plus the declared name when it is
  outside), then per table ``DescribeTable``, ``DescribeTimeToLive`` and the tags
  (``ListTagsOfResource``, or the tagging index) for ownership.
- A table is not usable until ``ACTIVE``, and ``UpdateTimeToLive`` on a table still
  ``CREATING`` fails: create waits for it (botocore's ``table_exists`` waiter), then enables
  the time to live.
- The key schema cannot change in place: a new key is a replace (``replace_on``), which
  the data-loss guard stops while the table holds items.
- Enabling or disabling the time to live is one call, and AWS refuses a second change
  within an hour; an ``ENABLING``/``DISABLING`` status is read as the state it is heading to,
  so a plan right after apply is empty. A time to live moved to another attribute by hand
  takes two calls (off, then on ``expires_at``): on AWS the second fails until the hour has
  passed, and the next apply completes it.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.resources.arns import tag_list, tag_map
from cabructl.resources.base import Context, Handler, Resource, address, in_view, is_owned_by, update_tags
from cabructl.resources.importing import TAGS, KindImporter
from cabructl.resources.tags import recorded_address, tags_of
from cabructl.topology.model import IdempotencyTable, Topology

KIND = "dynamodb.table"
BILLING_MODE = "PAY_PER_REQUEST"
PARTITION_KEY = {"name": "id", "type": "S"}  # the event id
TTL_ATTRIBUTE = "expires_at"  # epoch seconds the SDK writes on every record
_TTL_ON = ("ENABLED", "ENABLING")
_WAIT = {"Delay": 1, "MaxAttempts": 120}  # ACTIVE takes seconds on AWS; two minutes at most


class TableHandler(Handler):
    kind = KIND
    section = "idempotency"
    replace_on = ("key",)  # DynamoDB cannot change a table's key schema
    holds_data = True
    importer = KindImporter(
        lambda topology, logical: topology.idempotency if topology.idempotency and topology.idempotency.logical == logical else None,
        {**TAGS},
        {"billing": "fixed by cabructl: the SDK's table is on-demand", "key": "fixed by cabructl: the SDK keys records by event id",
         "ttl": "fixed by cabructl: the SDK's records expire on `expires_at`"},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        table = topology.idempotency
        return [] if table is None else [self._desired_table(topology, context, table)]

    def _desired_table(self, topology: Topology, context: Context, table: IdempotencyTable) -> Resource:
        here = address(KIND, table.logical)
        attributes = {
            "billing": BILLING_MODE,
            "key": dict(PARTITION_KEY),
            "ttl": TTL_ATTRIBUTE,
            "tags": topology.resource_tags(table.tags, address=here),
        }
        return Resource(here, KIND, table.name, attributes, (), {"arn": table_arn(context, table.name)})

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """One ListTables; each table under the prefix or declared is read in parallel."""
        wanted = {resource.name for resource in desired}
        names = [name for name in aws.paginate("dynamodb", "list_tables", "TableNames")
                 if name.startswith(topology.prefix) or name in wanted]
        found = parallel_map(lambda name: self._read(aws, topology, name, desired), names, aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, name: str, desired: list[Resource]) -> Resource | None:
        client = aws.client("dynamodb")
        table = (aws.find(lambda: client.describe_table(TableName=name)) or {}).get("Table")
        if table is None or table.get("TableStatus") == "DELETING":
            return None  # gone, as far as the topology is concerned
        arn = table["TableArn"]
        tags = tags_of(aws, topology, arn, lambda: _read_tags(aws, arn))
        if tags is None:
            return None
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None  # not ours and not in our way: invisible to cabructl
        ttl = (aws.find(lambda: client.describe_time_to_live(TableName=name)) or {}).get("TimeToLiveDescription", {})
        attributes = live_attributes(table, ttl, tags)
        identity = {"arn": arn, "items": int(table.get("ItemCount", 0))}
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, attributes, (), identity, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        client = aws.client("dynamodb")
        attributes = resource.attributes
        key = attributes["key"]
        request: dict[str, Any] = {
            "TableName": resource.name,
            "BillingMode": attributes["billing"],
            "AttributeDefinitions": [{"AttributeName": key["name"], "AttributeType": key["type"]}],
            "KeySchema": [{"AttributeName": key["name"], "KeyType": "HASH"}],
        }
        if attributes["tags"]:
            request["Tags"] = tag_list(attributes["tags"])
        aws.settle(lambda: client.create_table(**request), codes=("ResourceInUseException",))  # a same-named table still deleting
        client.get_waiter("table_exists").wait(TableName=resource.name, WaiterConfig=_WAIT)
        if attributes["ttl"]:
            _set_ttl(aws, resource.name, attributes["ttl"], enabled=True)

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("dynamodb")
        arn = live.identity["arn"]
        if "billing" in changed:
            aws.settle(lambda: client.update_table(TableName=live.name, BillingMode=desired.attributes["billing"]))
        if "ttl" in changed:
            wanted, current = desired.attributes["ttl"], live.attributes.get("ttl")
            if current:  # a new attribute name: DynamoDB takes one change at a time, off then on
                _set_ttl(aws, live.name, current, enabled=False)
            if wanted:
                _set_ttl(aws, live.name, wanted, enabled=True)
        if "tags" in changed:
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}),
                        lambda tags: client.tag_resource(ResourceArn=arn, Tags=tag_list(tags)),
                        lambda keys: client.untag_resource(ResourceArn=arn, TagKeys=keys))

    def delete(self, aws: Any, live: Resource) -> None:
        """DeleteTable, then wait until the table is gone: a replace creates the same name next, which
        DynamoDB refuses (ResourceInUseException) while the old table is still DELETING."""
        client = aws.client("dynamodb")
        aws.delete(lambda: client.delete_table(TableName=live.name))
        client.get_waiter("table_not_exists").wait(TableName=live.name, WaiterConfig=_WAIT)

    def data_held(self, live: Resource) -> str | None:
        """Items as DescribeTable counts them (AWS refreshes ItemCount about every six hours)."""
        count = live.identity.get("items", 0)
        return f"{count} item{'s' if count != 1 else ''}" if count else None


def table_arn(context: Context, name: str) -> str:
    return context.arn("dynamodb", f"table/{name}")


def live_attributes(table: Mapping[str, Any], ttl: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """DescribeTable and DescribeTimeToLive → the canonical form.

    A table made before on-demand existed reports no BillingModeSummary: it is provisioned.
    """
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    types = {definition["AttributeName"]: definition["AttributeType"] for definition in table.get("AttributeDefinitions", [])}
    hash_key = next((key["AttributeName"] for key in table.get("KeySchema", []) if key["KeyType"] == "HASH"), None)
    ranges = [key["AttributeName"] for key in table.get("KeySchema", []) if key["KeyType"] == "RANGE"]
    key: dict[str, Any] = {"name": hash_key, "type": types.get(hash_key or "")}
    if ranges:
        key["sort"] = ranges[0]  # a sort key the SDK does not write: a different table, so a replace
    on = ttl.get("TimeToLiveStatus") in _TTL_ON
    return {"billing": billing, "key": key, "ttl": ttl.get("AttributeName") if on else None, "tags": dict(tags)}


def _set_ttl(aws: Any, name: str, attribute: str, *, enabled: bool) -> None:
    specification = {"Enabled": enabled, "AttributeName": attribute}
    aws.settle(lambda: aws.client("dynamodb").update_time_to_live(TableName=name, TimeToLiveSpecification=specification),
               codes=("ResourceInUseException",))  # the table is still settling a change


def _read_tags(aws: Any, arn: str) -> dict[str, str] | None:
    """A table's tags (paginated by NextToken); None when the table is gone."""
    client = aws.client("dynamodb")
    tags: dict[str, str] = {}
    token: str | None = None
    while True:
        request = {"ResourceArn": arn, **({"NextToken": token} if token else {})}
        response = aws.find(lambda request=request: client.list_tags_of_resource(**request))
        if response is None:
            return None
        tags.update(tag_map(response.get("Tags", [])))
        token = response.get("NextToken")
        if not token:
            return tags


HANDLER = TableHandler()
