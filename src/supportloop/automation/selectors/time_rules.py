"""Reads of the built-in time rules' settings for the settings page and the API."""

from __future__ import annotations

from supportloop.automation.services.time_rules import DEFAULT_MINUTES, TimeRuleConfig, time_rule_configs
from supportloop.core.errors import NotFound


def time_rule_list() -> list[TimeRuleConfig]:
    """Every built-in rule with what a lead set (or its defaults)."""
    return time_rule_configs()


def time_rule_get(*, rule: str) -> TimeRuleConfig:
    if rule not in DEFAULT_MINUTES:
        raise NotFound(f"No time rule {rule!r}.", errors={"rule": "one of " + ", ".join(DEFAULT_MINUTES)})
    return next(c for c in time_rule_configs() if c.rule == rule)
