"""CloudWatch's month: the dashboard, the cost alarm, and the agent SDK's custom metrics.

Each is a monthly price that does not grow with traffic. The SDK's metrics are counted as
:mod:`cabructl.policy.sdk_metrics` counts them (every metric × Agent × DetailType series it can
emit: an upper bound, since a series with no datapoint in a month is not billed).
"""

from __future__ import annotations

from cabructl.policy.bill.inputs import BillInputs, shared
from cabructl.policy.bill.items import ServiceBill
from cabructl.policy.sdk_metrics import sdk_metric_counts

SERVICE = "cloudwatch"


def bill(inputs: BillInputs) -> ServiceBill:
    topology = inputs.topology
    dashboards = 1 if topology.dashboard is not None else 0
    alarms = 1 if topology.cost_alarm is not None else 0
    counts = sdk_metric_counts(topology)
    items = (
        inputs.item(SERVICE, "dashboards", "dashboards", "dashboards", "dashboard_per_month", 1, shared(dashboards),
                    "monitoring.dashboard", fixed=True),
        inputs.item(SERVICE, "alarm_metrics", "alarm metrics (standard resolution)", "alarm metrics", "alarm_metric_per_month", 1,
                    shared(alarms), "monitoring.cost_alarm: one metric", fixed=True),
        inputs.item(SERVICE, "custom_metrics", "agent SDK custom metrics", "metrics", "custom_metric_per_month", 1,
                    counts.by_agent() if counts else shared(0), counts.basis() if counts else "no monitoring.agent_metrics", fixed=True),
    )
    notes = ["API requests: dashboards viewed, GetMetricData of `cabructl cost`, the SDK's PutMetricData calls "
             '(telemetry "put_metric_data")'] if counts else ["API requests: dashboards viewed, GetMetricData of `cabructl cost`"]
    service = inputs.profile.services[SERVICE]
    return ServiceBill(SERVICE, service.title, items, f"{service.source} (read {service.read})", not_modelled=tuple(notes))
