"""cloudwatch.alarm: the cost alarm, on an EventBridge metric of the bus.

It fires while there is budget left: the topology sets the threshold (events per
period) from the monthly budget, and the actions are the topology's SNS topics.

PutMetricAlarm replaces the whole alarm, so an update sends every field; it
ignores tags on an existing alarm, so tags change through TagResource and
UntagResource, and only the keys that differ.
"""

from __future__ import annotations

from typing import Any, Mapping

from cabructl.aws import parallel_map
from cabructl.constants import ALARM_COMPARISON, ALARM_TREAT_MISSING_DATA, ALARM_TREAT_MISSING_DATA_DEFAULT, EVENTS_NAMESPACE
from cabructl.resources.arns import tag_list, tag_map, topic_arn
from cabructl.resources.base import Context, Handler, Resource, address, in_view, is_owned_by, update_tags
from cabructl.resources.importing import TAGS, Field, Form, KindImporter
from cabructl.resources.tags import indexed_arns, recorded_address, tags_of
from cabructl.topology.model import CostAlarm, Topology

KIND = "cloudwatch.alarm"
LOGICAL = "cost_alarm"  # monitoring.cost_alarm: a topology has at most one


class AlarmHandler(Handler):
    kind = KIND
    section = "monitoring"
    # Every field changes in place through PutMetricAlarm; the name is the identity.
    importer = KindImporter(
        lambda topology, logical: topology.cost_alarm,
        {"threshold": Field(("threshold",)), "period": Field(("period",), Form.SECONDS),
         "evaluation_periods": Field(("evaluation_periods",)), "statistic": Field(("statistic",)),
         "description": Field(("description",)), "metric": Field(("metric",)), **TAGS},
        {name: "fixed by cabructl for the cost alarm; `cabructl apply` restores it"
         for name in ("namespace", "dimensions", "comparison", "treat_missing_data", "actions_enabled", "actions")},
    )

    # -- desired ------------------------------------------------------------------------
    def desired(self, topology: Topology, context: Context) -> list[Resource]:
        if topology.cost_alarm is None:
            return []
        return [self._desired_alarm(topology, context, topology.cost_alarm)]

    def _desired_alarm(self, topology: Topology, context: Context, alarm: CostAlarm) -> Resource:
        attributes = {
            "description": alarm.description,
            "namespace": EVENTS_NAMESPACE,
            "metric": alarm.metric,
            "dimensions": {"EventBusName": topology.bus.name},
            "statistic": alarm.statistic,
            "period": alarm.period,
            "evaluation_periods": alarm.evaluation_periods,
            "threshold": float(alarm.threshold),
            "comparison": ALARM_COMPARISON,
            "treat_missing_data": ALARM_TREAT_MISSING_DATA,
            "actions_enabled": True,
            "actions": sorted(topic_arn(topology, context, topic) for topic in alarm.actions),
            "tags": topology.resource_tags(alarm.tags, address=alarm_address(topology, alarm)),
        }
        depends_on = tuple(sorted({address("sns.topic", topic) for topic in alarm.actions}))
        return Resource(alarm_address(topology, alarm), KIND, alarm.name, attributes, depends_on)

    # -- discover -----------------------------------------------------------------------
    def discover(self, aws: Any, topology: Topology, context: Context, desired: list[Resource]) -> list[Resource]:
        """DescribeAlarms returns every field; only the tags cost a call per alarm."""
        alarms = {alarm["AlarmName"]: alarm for alarm in aws.paginate("cloudwatch", "describe_alarms", "MetricAlarms",
                                                                      AlarmNamePrefix=topology.prefix)}
        named = {resource.name for resource in desired if not resource.name.startswith(topology.prefix)}
        named |= {arn.split(":alarm:", 1)[1] for arn in indexed_arns(aws, topology, context.arn("cloudwatch", "alarm:"))}
        outside = sorted(name for name in named if name not in alarms)
        if outside:
            alarms.update({alarm["AlarmName"]: alarm for alarm in aws.paginate("cloudwatch", "describe_alarms", "MetricAlarms",
                                                                               AlarmNames=outside)})
        found = parallel_map(lambda alarm: self._read(aws, topology, alarm, desired), [alarms[name] for name in sorted(alarms)],
                             aws.settings.max_workers)
        return [resource for resource in found if resource is not None]

    def _read(self, aws: Any, topology: Topology, alarm: Mapping[str, Any], desired: list[Resource]) -> Resource | None:
        name = alarm["AlarmName"]
        arn = alarm["AlarmArn"]
        tags = tags_of(aws, topology, arn,
                       lambda: tag_map(aws.find(lambda: aws.client("cloudwatch").list_tags_for_resource(ResourceARN=arn)["Tags"]) or [])) or {}
        owned = is_owned_by(tags, topology)
        if not in_view(owned, name, topology, desired):
            return None  # not ours and not in our way: invisible to cabructl
        return Resource(recorded_address(KIND, topology, name, tags, desired), KIND, name, live_attributes(alarm, tags), (), {"arn": arn}, owned)

    # -- write --------------------------------------------------------------------------
    def create(self, aws: Any, resource: Resource) -> None:
        request = alarm_request(resource.name, resource.attributes)
        if resource.attributes["tags"]:
            request["Tags"] = tag_list(resource.attributes["tags"])
        aws.settle(lambda: aws.client("cloudwatch").put_metric_alarm(**request))

    def update(self, aws: Any, desired: Resource, live: Resource, changed: tuple[str, ...]) -> None:
        client = aws.client("cloudwatch")
        if set(changed) - {"tags"}:
            request = alarm_request(desired.name, desired.attributes)
            aws.settle(lambda: client.put_metric_alarm(**request))
        if "tags" in changed:
            arn = live.identity["arn"]
            update_tags(desired.attributes["tags"], live.attributes.get("tags", {}),
                        lambda tags: client.tag_resource(ResourceARN=arn, Tags=tag_list(tags)),
                        lambda keys: client.untag_resource(ResourceARN=arn, TagKeys=keys))

    def delete(self, aws: Any, live: Resource) -> None:
        aws.delete(lambda: aws.client("cloudwatch").delete_alarms(AlarmNames=[live.name]))


def alarm_address(topology: Topology, alarm: CostAlarm) -> str:
    """``cloudwatch.alarm.cost_alarm``: the declaration's key, never the alarm's name, so a new
    name is a replace of the same address."""
    return address(KIND, LOGICAL)


def alarm_request(name: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical attributes → a complete PutMetricAlarm request (without tags)."""
    return {
        "AlarmName": name,
        "AlarmDescription": attributes["description"],
        "Namespace": attributes["namespace"],
        "MetricName": attributes["metric"],
        "Dimensions": [{"Name": key, "Value": value} for key, value in sorted(attributes["dimensions"].items())],
        "Statistic": attributes["statistic"],
        "Period": attributes["period"],
        "EvaluationPeriods": attributes["evaluation_periods"],
        "Threshold": attributes["threshold"],
        "ComparisonOperator": attributes["comparison"],
        "TreatMissingData": attributes["treat_missing_data"],
        "ActionsEnabled": attributes["actions_enabled"],
        "AlarmActions": list(attributes["actions"]),
    }


def live_attributes(alarm: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """A DescribeAlarms entry → the canonical form (absent fields as CloudWatch defaults them)."""
    return {
        "description": alarm.get("AlarmDescription", ""),
        "namespace": alarm.get("Namespace"),
        "metric": alarm.get("MetricName"),
        "dimensions": {dimension["Name"]: dimension["Value"] for dimension in alarm.get("Dimensions", [])},
        "statistic": alarm.get("Statistic"),
        "period": alarm.get("Period"),
        "evaluation_periods": alarm.get("EvaluationPeriods"),
        "threshold": float(alarm["Threshold"]) if "Threshold" in alarm else None,
        "comparison": alarm.get("ComparisonOperator"),
        "treat_missing_data": alarm.get("TreatMissingData", ALARM_TREAT_MISSING_DATA_DEFAULT),
        "actions_enabled": alarm.get("ActionsEnabled", True),
        "actions": sorted(alarm.get("AlarmActions", [])),
        "tags": dict(tags),
    }


HANDLER = AlarmHandler()
