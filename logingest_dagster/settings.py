"""The seed's JSON settings file, validated strictly, plus the project's own optional keys.

The seed's keys keep their meaning where Dagster allows it:
- `walker.log_dirs`, `walker.max_discovery_workers`: what discovery scans, and how many at once;
- `ingestion.worker_count`: the multiprocess executor's `max_concurrent` for the ingestion steps;
- `discovered_files_channel_size`: there is no channel between Dagster steps, so it bounds the files
  one run takes on; the rest wait for the next run (backpressure at the run level).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from logingest_dagster.engine.alerts.rules import AlertSettings, AlertSettingsError, parse_alerts

DEFAULT_HOME = "data"
# The offset store's URL, when set. A password kept here stays out of the run config, which the
# Dagster instance stores with every run and the UI shows: runs refer to the variable by name.
STATE_URL_ENV = "LOGINGEST_STATE_URL"
# The Celery broker (and result backend) of a scale-out deployment; setting it adds the
# `ingest_logs_celery` job to the code location (defs/celery.py).
CELERY_BROKER_ENV = "LOGINGEST_CELERY_BROKER"


class SettingsError(ValueError):
    """A settings problem, worded for one line on stderr."""


@dataclass(frozen=True)
class Settings:
    log_dirs: list[str] = field(default_factory=list)
    max_discovery_workers: int = 10
    discovered_files_channel_size: int = 500
    worker_count: int = 5
    # Not in the seed; optional.
    fan_out_limit: int = 32  # beyond this many files, pack them into byte-balanced groups
    partial_line_grace_seconds: float = 60.0
    # How long a rotated file is still followed after its last write (Filebeat's close_inactive).
    rotate_wait_seconds: float = 300.0
    level_patterns: dict[str, str] = field(default_factory=dict)  # directory -> regex (?P<level>)
    multiline_start_pattern: str | None = None
    state_url: str | None = None  # default: sqlite under <home>/state/
    alerts: dict[str, Any] = field(default_factory=dict)  # engine/alerts/rules.py; {}: default rule

    def alert_settings(self) -> AlertSettings:
        return parse_alerts(self.alerts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Where each key lives in the settings file: (section or None, key).
_LAYOUT: dict[str, tuple[str | None, str]] = {
    "log_dirs": ("walker", "log_dirs"),
    "max_discovery_workers": ("walker", "max_discovery_workers"),
    "discovered_files_channel_size": (None, "discovered_files_channel_size"),
    "worker_count": ("ingestion", "worker_count"),
    "fan_out_limit": ("ingestion", "fan_out_limit"),
    "partial_line_grace_seconds": ("ingestion", "partial_line_grace_seconds"),
    "rotate_wait_seconds": ("ingestion", "rotate_wait_seconds"),
    "level_patterns": ("formats", "level_patterns"),
    "multiline_start_pattern": ("formats", "multiline_start_pattern"),
    "state_url": ("state", "url"),
    "alerts": (None, "alerts"),
}


def parse_settings(raw: dict[str, Any], source: str = "settings") -> Settings:
    """Validate a settings document: unknown keys and wrong types are errors, not surprises."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: expected a JSON object at the top level")
    known: dict[str | None, set[str]] = {}
    for section, key in _LAYOUT.values():
        known.setdefault(section, set()).add(key)
    values: dict[str, Any] = {}
    for top_key, top_value in raw.items():
        if top_key in known.get(None, set()):
            values[top_key] = top_value
        elif top_key in known:
            if not isinstance(top_value, dict):
                raise SettingsError(f"{source}: '{top_key}' must be an object")
            for key, value in top_value.items():
                if key not in known[top_key]:
                    raise SettingsError(f"{source}: unknown key '{top_key}.{key}'")
                name = next(n for n, (s, k) in _LAYOUT.items() if s == top_key and k == key)
                values[name] = value
        else:
            raise SettingsError(f"{source}: unknown key '{top_key}'")
    return validate(Settings(**values), source)


def validate(settings: Settings, source: str = "settings") -> Settings:
    """Type and range checks shared by the settings file, the CLI and the Dagster resource."""
    defaults = Settings()
    for f in fields(Settings):
        value = getattr(settings, f.name)
        expected = type(getattr(defaults, f.name))
        where = f"{source}: '{_dotted(f.name)}'"
        if f.name in ("multiline_start_pattern", "state_url"):
            if value is not None and not isinstance(value, str):
                raise SettingsError(f"{where} must be a string")
        elif f.name == "alerts":
            try:
                parse_alerts(value, source)
            except AlertSettingsError as exc:
                raise SettingsError(str(exc)) from exc
        elif f.name == "log_dirs":
            if not isinstance(value, list) or not all(isinstance(d, str) and d for d in value):
                raise SettingsError(f"{where} must be a list of directory paths")
        elif f.name == "level_patterns":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise SettingsError(f"{where} must map directories to regexes")
            for directory, pattern in value.items():
                if "(?P<level>" not in pattern:
                    raise SettingsError(f"{where}: pattern for {directory} needs (?P<level>...)")
        elif expected is float:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SettingsError(f"{where} must be a number >= 0, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SettingsError(f"{where} must be an integer >= 1, got {value!r}")
    return settings


def check_directories(settings: Settings) -> None:
    """For commands run by a person: a configured directory that does not exist is a mistake."""
    if not settings.log_dirs:
        raise SettingsError("no log directories configured (walker.log_dirs or --log-dir)")
    for directory in settings.log_dirs:
        if not Path(directory).is_dir():
            raise SettingsError(f"log directory does not exist: {directory}")


def load_settings(path: str | os.PathLike[str]) -> Settings:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path}: invalid JSON: {exc}") from exc
    return with_state_url_from_env(parse_settings(raw, str(path)), str(path))


def settings_from_env() -> Settings:
    """The code location's defaults: `LOGINGEST_CONFIG` if set, else `<home>/sample`."""
    config = os.environ.get("LOGINGEST_CONFIG")
    if config:
        return load_settings(config)
    return with_state_url_from_env(Settings(log_dirs=[str(Path(home_from_env()) / "sample")]))


def with_state_url_from_env(settings: Settings, source: str = "settings") -> Settings:
    """`settings` with the store URL of `LOGINGEST_STATE_URL`, if set. A different `state.url`
    beside it is an error rather than a silent choice between two stores."""
    url = os.environ.get(STATE_URL_ENV)
    if not url:
        return settings
    if settings.state_url not in (None, url):
        raise SettingsError(f"{source}: 'state.url' and ${STATE_URL_ENV} name different stores")
    return replace(settings, state_url=url)


def state_url_from_env(settings: Settings) -> bool:
    """Whether the store URL is the one `LOGINGEST_STATE_URL` holds (runs then name the variable)."""
    return settings.state_url is not None and settings.state_url == os.environ.get(STATE_URL_ENV)


def url_password(url: str | None) -> bool:
    """Whether a store URL holds a password (`postgresql://user:secret@host/db`)."""
    return bool(url) and "://" in url and urlsplit(url).password is not None


def home_from_env() -> str:
    return os.environ.get("LOGINGEST_HOME") or DEFAULT_HOME


def _dotted(name: str) -> str:
    section, key = _LAYOUT[name]
    return f"{section}.{key}" if section else key
