"""One handler per AWS kind; the engine sees them only through :func:`handlers`."""

from __future__ import annotations

from cabructl.resources.base import Context, Handler, Resource

__all__ = ["Context", "Handler", "Resource", "handlers", "handler_for"]


def handlers() -> tuple[Handler, ...]:
    """Every kind, in the order a person reads a plan (dependencies come from the resources)."""
    from cabructl.resources import (
        cloudwatch_alarm,
        cloudwatch_dashboard,
        dynamodb_table,
        events_api_destination,
        events_archive,
        events_bus,
        events_bus_policy,
        events_connection,
        events_rule,
        events_target,
        iam_policy,
        iam_role,
        kms_key,
        lambda_permission,
        logs_group,
        logs_resource_policy,
        schemas_registry,
        schemas_schema,
        sns_topic,
        sqs_queue,
    )

    return (
        kms_key.HANDLER,  # before the queues, topics, bus and archive it encrypts
        events_bus.HANDLER,
        events_bus_policy.HANDLER,
        events_archive.HANDLER,
        schemas_registry.HANDLER,
        schemas_schema.HANDLER,
        sqs_queue.HANDLER,
        sns_topic.HANDLER,
        dynamodb_table.HANDLER,
        logs_group.HANDLER,
        logs_resource_policy.HANDLER,
        events_connection.HANDLER,
        events_api_destination.HANDLER,
        events_rule.HANDLER,
        iam_role.HANDLER,
        lambda_permission.HANDLER,
        events_target.HANDLER,
        cloudwatch_dashboard.HANDLER,
        cloudwatch_alarm.HANDLER,
        iam_policy.HANDLER,
    )


def handler_for(kind: str) -> Handler:
    for handler in handlers():
        if handler.kind == kind:
            return handler
    raise KeyError(f"no handler for kind {kind!r}")
