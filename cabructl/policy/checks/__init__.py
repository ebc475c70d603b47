"""The policy checks, one per module (cfn-lint style); policy.yaml says which run and how severely."""

from __future__ import annotations

from cabructl.policy.checks.base import Check, Violation

__all__ = ["Check", "Violation", "all_checks"]


def all_checks() -> dict[str, type[Check]]:
    """Every check cabructl knows, by id, in the order a report lists them."""
    from cabructl.policy.checks import (
        actions_fit_resources,
        agents_publish_as_themselves,
        backbone_within_budget,
        alarm_fires_at_alert_share,
        alarm_fires_before_budget,
        archive_retention_bounded,
        cost_under_alert,
        cost_within_budget,
        daily_cap_reachable,
        events_within_size_limit,
        hourly_cap_within_daily,
        log_retention_bounded,
        mix_coherent,
        principals_guarded,
        quotas,
        targets_can_receive,
        targets_key_usable,
        targets_retry_and_dead_letter,
        volume_within_limits,
    )

    classes: tuple[type[Check], ...] = (
        cost_within_budget.CostWithinBudget,
        cost_under_alert.CostUnderAlert,
        backbone_within_budget.BackboneWithinBudget,
        volume_within_limits.VolumeWithinLimits,
        hourly_cap_within_daily.HourlyCapWithinDaily,
        daily_cap_reachable.DailyCapReachable,
        mix_coherent.MixCoherent,
        alarm_fires_before_budget.AlarmFiresBeforeBudget,
        alarm_fires_at_alert_share.AlarmFiresAtAlertShare,
        log_retention_bounded.LogRetentionBounded,
        archive_retention_bounded.ArchiveRetentionBounded,
        targets_retry_and_dead_letter.TargetsRetryAndDeadLetter,
        targets_can_receive.TargetsCanReceive,
        targets_key_usable.TargetsKeyUsable,
        agents_publish_as_themselves.AgentsPublishAsThemselves,
        events_within_size_limit.EventsWithinSizeLimit,
        quotas.Quotas,
        principals_guarded.PrincipalsGuarded,
        actions_fit_resources.ActionsFitResources,
    )
    return {check.id: check for check in classes}
