"""Alert rules: what counts as a service throwing errors, read from the settings' `alerts` section.

A rule applies to the files of some directories or services (all files when it names neither) and
holds one or more conditions; it fires for a file and a minute (or window) when any condition holds:
- `errors_per_minute`: ERROR+FATAL records logged in one minute in one file, at least this many;
- `spike`: a minute's ERROR+FATAL count at least `floor` and above `factor` x the file's median
  over the `trailing_minutes` before it (minutes without errors count as 0);
- `error_share`: ERROR+FATAL as a share of all records of the file over an aligned window of
  `window_minutes`, once the window holds `min_records` (needs counts of every level per minute).

With no settings the default rule applies to every file: 100 or more ERROR+FATAL in a minute, or
a minute above 5x the trailing median with a floor of 20 (the issue's default).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_RULE_NAME = "default"
DEFAULT_MAX_AGE_MINUTES = 24 * 60
_NAME = re.compile(r"^[A-Za-z0-9_]{1,60}$")


class AlertSettingsError(ValueError):
    """A problem in the `alerts` section, worded for one line."""


@dataclass(frozen=True)
class Spike:
    factor: float = 5.0
    floor: int = 20
    trailing_minutes: int = 60


@dataclass(frozen=True)
class ErrorShare:
    share: float  # 0 < share <= 1
    window_minutes: int = 15
    min_records: int = 100


@dataclass(frozen=True)
class Rule:
    name: str
    directories: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    errors_per_minute: int | None = None
    spike: Spike | None = None
    error_share: ErrorShare | None = None

    def applies_to(self, path: str, service: str) -> bool:
        if not self.directories and not self.services:
            return True
        return service in self.services or any(_within(path, d) for d in self.directories)


DEFAULT_RULE = Rule(DEFAULT_RULE_NAME, errors_per_minute=100, spike=Spike(5.0, 20, 60))


@dataclass(frozen=True)
class WebhookOptions:
    """How hard to try a receiver; its URL is never here (`LOGINGEST_ALERT_WEBHOOK` only)."""

    timeout_seconds: float = 5.0  # one attempt
    attempts: int = 3
    deadline_seconds: float = 15.0  # every alert of a run, retries included


@dataclass(frozen=True)
class AlertSettings:
    rules: tuple[Rule, ...] = (DEFAULT_RULE,)
    services: dict[str, str] = field(default_factory=dict)  # directory -> service label
    max_age_minutes: int = DEFAULT_MAX_AGE_MINUTES  # older minutes are counted, never alerted
    webhook: WebhookOptions = WebhookOptions()

    def service_of(self, path: str) -> str:
        """The label of the innermost labelled directory holding `path`, else the file's stem."""
        best = max((d for d in self.services if _within(path, d)), key=len, default=None)
        if best is not None:
            return self.services[best]
        name = path.rsplit("/", 1)[-1]
        return name[: -len(".log")] if name.endswith(".log") else name.partition(".")[0]


def parse_alerts(raw: dict[str, Any] | None, source: str = "settings") -> AlertSettings:
    """The `alerts` section, validated; None or {} gives the default rule alone."""
    raw = {} if raw is None else raw
    where = f"{source}: 'alerts"
    if not isinstance(raw, dict):
        raise AlertSettingsError(f"{where}' must be an object")
    _only(raw, {"default_rule", "rules", "services", "max_age_minutes", "webhook"}, where)
    default_on = raw.get("default_rule", True)
    if not isinstance(default_on, bool):
        raise AlertSettingsError(f"{where}.default_rule' must be true or false")
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list):
        raise AlertSettingsError(f"{where}.rules' must be a list of rules")
    rules = [_rule(r, f"{where}.rules[{i}]") for i, r in enumerate(rules_raw)]
    if default_on and all(r.name != DEFAULT_RULE_NAME for r in rules):
        rules.insert(0, DEFAULT_RULE)
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise AlertSettingsError(f"{where}.rules': rule names must be unique, got {names}")
    services = raw.get("services", {})
    if not isinstance(services, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in services.items()
    ):
        raise AlertSettingsError(f"{where}.services' must map directories to service names")
    return AlertSettings(
        rules=tuple(rules),
        services={_norm(d): s for d, s in services.items()},
        max_age_minutes=_int(
            raw.get("max_age_minutes", DEFAULT_MAX_AGE_MINUTES), where + ".max_age_minutes'"
        ),
        webhook=_webhook(raw.get("webhook", {}), where + ".webhook"),
    )


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise AlertSettingsError(f"{where}' must be an object")
    _only(
        raw, {"name", "directories", "services", "errors_per_minute", "spike", "error_share"}, where
    )
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise AlertSettingsError(f"{where}.name' must be letters, digits and _ (it names a check)")
    rule = Rule(
        name=name,
        directories=tuple(
            _norm(d) for d in _strings(raw.get("directories", []), where + ".directories'")
        ),
        services=tuple(_strings(raw.get("services", []), where + ".services'")),
        errors_per_minute=None
        if raw.get("errors_per_minute") is None
        else _int(raw["errors_per_minute"], where + ".errors_per_minute'"),
        spike=None if raw.get("spike") is None else _spike(raw["spike"], where + ".spike"),
        error_share=None
        if raw.get("error_share") is None
        else _share(raw["error_share"], where + ".error_share"),
    )
    if rule.errors_per_minute is None and rule.spike is None and rule.error_share is None:
        raise AlertSettingsError(
            f"{where}' needs a condition: errors_per_minute, spike or error_share"
        )
    return rule


def _spike(raw: Any, where: str) -> Spike:
    if not isinstance(raw, dict):
        raise AlertSettingsError(f"{where}' must be an object")
    _only(raw, {"factor", "floor", "trailing_minutes"}, where)
    factor = raw.get("factor", 5.0)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor > 0:
        raise AlertSettingsError(f"{where}.factor' must be a number > 0")
    return Spike(
        float(factor),
        _int(raw.get("floor", 20), where + ".floor'"),
        _int(raw.get("trailing_minutes", 60), where + ".trailing_minutes'"),
    )


def _share(raw: Any, where: str) -> ErrorShare:
    if not isinstance(raw, dict):
        raise AlertSettingsError(f"{where}' must be an object")
    _only(raw, {"share", "window_minutes", "min_records"}, where)
    share = raw.get("share")
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise AlertSettingsError(f"{where}.share' must be a number in (0, 1]")
    return ErrorShare(
        float(share),
        _int(raw.get("window_minutes", 15), where + ".window_minutes'"),
        _int(raw.get("min_records", 100), where + ".min_records'"),
    )


def _webhook(raw: Any, where: str) -> WebhookOptions:
    if not isinstance(raw, dict):
        raise AlertSettingsError(f"{where}' must be an object")
    _only(raw, {"timeout_seconds", "attempts", "deadline_seconds"}, where)
    default = WebhookOptions()
    values = {}
    for key in ("timeout_seconds", "deadline_seconds"):
        value = raw.get(key, getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise AlertSettingsError(f"{where}.{key}' must be a number > 0")
        values[key] = float(value)
    return WebhookOptions(
        attempts=_int(raw.get("attempts", default.attempts), where + ".attempts'"), **values
    )


def _only(raw: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise AlertSettingsError(f"{where}': unknown key '{unknown[0]}'")


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AlertSettingsError(f"{where} must be an integer >= 1, got {value!r}")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AlertSettingsError(f"{where} must be a list of names")
    return value


def _norm(directory: str) -> str:
    return os.path.abspath(directory).rstrip("/") or "/"


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")
