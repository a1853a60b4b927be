"""Every setting, declared once: the seed's JSON settings file, validated strictly, plus the
project's own optional keys.

Each field of `Settings` is one declaration (`setting(...)`): its name and type, its place in the
settings file, its default, what it means and its range check. The settings file's parser, the
checks shared with the command line, and the Dagster resource the launchpad shows
(defs/resources.py) are all derived from these declarations.

The seed's keys keep their meaning where Dagster allows it:
- `walker.log_dirs`, `walker.max_discovery_workers`: what discovery lists, and how many at once;
- `ingestion.worker_count`: the multiprocess executor's `max_concurrent` for the ingestion steps;
- `discovered_files_channel_size`: there is no channel between Dagster steps, so it bounds the files
  one run takes on; the rest wait for the next run (backpressure at the run level).
"""

from __future__ import annotations

import copy
import json
import os
import typing
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from logingest_dagster.engine.alerts.rules import AlertSettings, AlertSettingsError, parse_alerts
from logingest_dagster.environment import ALERT_WEBHOOK_ENV, CONFIG_ENV, HOME_ENV, STATE_URL_ENV

DEFAULT_HOME = "data"


class SettingsError(ValueError):
    """A settings problem, worded for one line on stderr."""


# Range checks: each gets the value and where it came from ("<source>: '<dotted key>'").
Check = Callable[[Any, str], None]


def at_least_one(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"{where} must be an integer >= 1, got {value!r}")


def whole_number(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(f"{where} must be an integer >= 0, got {value!r}")


def non_negative(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SettingsError(f"{where} must be a number >= 0, got {value!r}")


def boolean(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise SettingsError(f"{where} must be true or false, got {value!r}")


def optional_text(value: Any, where: str) -> None:
    if value is not None and not isinstance(value, str):
        raise SettingsError(f"{where} must be a string")


def directory_list(value: Any, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(d, str) and d for d in value):
        raise SettingsError(f"{where} must be a list of directory paths")


def level_pattern_map(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SettingsError(f"{where} must map directories to regexes")
    for directory, pattern in value.items():
        if "(?P<level>" not in pattern:
            raise SettingsError(f"{where}: pattern for {directory} needs (?P<level>...)")


def symlink_policy(value: Any, where: str) -> None:
    if value not in ("inside", "all"):
        raise SettingsError(f"{where} must be 'inside' or 'all', got {value!r}")


RANKED_LEVELS = ("TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL")


def ranked_level(value: Any, where: str) -> None:
    if value not in RANKED_LEVELS:
        raise SettingsError(f"{where} must be one of {', '.join(RANKED_LEVELS)}")


def name_map(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise SettingsError(f"{where} must map directories to names")


def zone_name(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value:
        raise SettingsError(f"{where} must be a time zone name")
    if not _is_known_zone(value):
        raise SettingsError(f"{where}: unknown time zone {value!r}")


def zone_map(value: Any, where: str) -> None:
    name_map(value, where)
    for zone in value.values():
        zone_name(zone, where)


def _is_known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def alert_rules(value: Any, where: str) -> None:
    try:
        parse_alerts(value, where.split(": '")[0])
    except AlertSettingsError as exc:
        raise SettingsError(str(exc)) from exc


def setting(
    where: str, default: Any, description: str, check: Check, in_resource: bool = True
) -> Any:
    """One setting's declaration, as a `Settings` field: `where` is its dotted place in the
    settings file; `in_resource=False` keeps it off the Dagster resource (it is run config of
    another kind, such as the executor's)."""
    metadata = {
        "where": where,
        "description": description,
        "check": check,
        "in_resource": in_resource,
    }
    if isinstance(default, list | dict):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    log_dirs: list[str] = setting(
        "walker.log_dirs", [], "Directories scanned for *.log files.", directory_list
    )
    max_discovery_workers: int = setting(
        "walker.max_discovery_workers", 10, "Directories listed at once.", at_least_one
    )
    discovered_files_channel_size: int = setting(
        "discovered_files_channel_size",
        500,
        "The most files one run takes on; the rest wait for the next run.",
        at_least_one,
    )
    worker_count: int = setting(
        "ingestion.worker_count",
        5,
        "Ingestion steps run at once: the multiprocess executor's max_concurrent.",
        at_least_one,
        in_resource=False,  # the launchpad's execution block carries it
    )
    # Not in the seed; optional.
    fan_out_limit: int = setting(
        "ingestion.fan_out_limit",
        0,
        "Runs of up to this many files get one ingestion step per file; 0: as many steps as "
        "the planned bytes pay for, at most max_concurrent.",
        whole_number,
    )
    partial_line_grace_seconds: float = setting(
        "ingestion.partial_line_grace_seconds",
        60.0,
        "A last line with no newline is counted once its file is this quiet.",
        non_negative,
    )
    # Filebeat's close_inactive.
    rotate_wait_seconds: float = setting(
        "ingestion.rotate_wait_seconds",
        300.0,
        "A rotated file written to this recently is followed for the lines its writer adds "
        "before reopening its log, until it has been this quiet.",
        non_negative,
    )
    level_patterns: dict[str, str] = setting(
        "formats.level_patterns",
        {},
        "Directory -> regex with (?P<level>...), overriding detection.",
        level_pattern_map,
    )
    multiline_start_pattern: str | None = setting(
        "formats.multiline_start_pattern",
        None,
        "Regex matching the first line of a record; overrides the heuristic.",
        optional_text,
    )
    state_url: str | None = setting(
        "state.url",
        None,
        "Offset store URL; default SQLite in <home>/state. Keep a password out of run config "
        f"with ${STATE_URL_ENV}, which runs refer to by name.",
        optional_text,
    )
    symlinks: str = setting(
        "walker.symlinks",
        "inside",
        "Which .log symlinks are read: 'inside' (their target is in a configured directory) "
        "or 'all'.",
        symlink_policy,
    )
    events_min_level: str = setting(
        "events.min_level", "WARN", "Records of this level and above are events.", ranked_level
    )
    services: dict[str, str] = setting(
        "events.services",
        {},
        "Directory -> service label of its events; default: the file's stem.",
        name_map,
    )
    mine_templates: bool = setting(
        "events.templates",
        True,
        "Mine each event's message template (template_id, template; templates.parquet).",
        boolean,
    )
    timezone: str = setting(
        "formats.timezone", "UTC", "Zone of times written without one (IANA name).", zone_name
    )
    timezones: dict[str, str] = setting(
        "formats.timezones", {}, "Directory -> zone, overriding formats.timezone.", zone_map
    )
    retention_days: int = setting(
        "warehouse.retention_days",
        30,
        "events/ and severity_timeseries/ keep this many days (whole days); 0: all.",
        whole_number,
    )
    alerts: dict[str, Any] = setting(
        "alerts",
        {},
        "Alert rules, services and webhook timeouts (engine/alerts/rules.py); {}: the default "
        f"rule. The webhook URL is never here: ${ALERT_WEBHOOK_ENV}.",
        alert_rules,
    )

    def alert_settings(self) -> AlertSettings:
        return parse_alerts(self.alerts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Declaration:
    """One setting as declared on `Settings`, read back in one piece."""

    name: str
    type: Any
    where: str
    default: Any
    description: str
    check: Check
    in_resource: bool


def _declarations() -> tuple[Declaration, ...]:
    types = typing.get_type_hints(Settings)
    defaults = Settings()
    return tuple(
        Declaration(
            name=f.name,
            type=types[f.name],
            default=getattr(defaults, f.name),
            **f.metadata,
        )
        for f in fields(Settings)
    )


DECLARATIONS = _declarations()
_BY_PLACE = {d.where: d.name for d in DECLARATIONS}


def parse_settings(raw: dict[str, Any], source: str = "settings") -> Settings:
    """Validate a settings document: unknown keys and wrong types are errors, not surprises."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: expected a JSON object at the top level")
    sections = {where.split(".")[0] for where in _BY_PLACE if "." in where}
    values: dict[str, Any] = {}
    for top_key, top_value in raw.items():
        if top_key in _BY_PLACE:
            values[_BY_PLACE[top_key]] = top_value
        elif top_key in sections:
            if not isinstance(top_value, dict):
                raise SettingsError(f"{source}: '{top_key}' must be an object")
            for key, value in top_value.items():
                name = _BY_PLACE.get(f"{top_key}.{key}")
                if name is None:
                    raise SettingsError(f"{source}: unknown key '{top_key}.{key}'")
                values[name] = value
        else:
            raise SettingsError(f"{source}: unknown key '{top_key}'")
    return validate(Settings(**values), source)


def validate(settings: Settings, source: str = "settings") -> Settings:
    """Type and range checks shared by the settings file, the CLI and the Dagster resource."""
    for declared in DECLARATIONS:
        declared.check(getattr(settings, declared.name), f"{source}: '{declared.where}'")
    return settings


def for_directory(mapping: dict[str, str], path: str) -> str | None:
    """The value `mapping` (directory -> value) gives the directory holding `path`."""
    parent = Path(path).parent.resolve()
    return next((v for d, v in mapping.items() if Path(d).resolve() == parent), None)


def check_directories(settings: Settings) -> list[str]:
    """For commands run by a person: a configured directory that is a file, or no existing
    directory at all, is a mistake; one missing directory of several is a warning (returned),
    as inside Dagster, where discovery reports it and reads the others."""
    if not settings.log_dirs:
        raise SettingsError("no log directories configured (walker.log_dirs or --log-dir)")
    missing = []
    for directory in settings.log_dirs:
        path = Path(directory)
        if path.exists() and not path.is_dir():
            raise SettingsError(f"log directory is a file, not a directory: {directory}")
        if not path.is_dir():
            missing.append(directory)
    if len(missing) == len(settings.log_dirs):
        raise SettingsError(f"log directory does not exist: {', '.join(missing)}")
    return [f"log directory does not exist (skipped this run): {d}" for d in missing]


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
    """The code location's defaults: the settings file `LOGINGEST_CONFIG` names if set, else
    `<home>/sample`."""
    config = os.environ.get(CONFIG_ENV)
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


def state_url_is_from_env(settings: Settings) -> bool:
    """Whether the store URL is the one `LOGINGEST_STATE_URL` holds (runs then name the variable)."""
    return settings.state_url is not None and settings.state_url == os.environ.get(STATE_URL_ENV)


def has_password(url: str | None) -> bool:
    """Whether a store URL holds a password (`postgresql://user:secret@host/db`)."""
    return bool(url) and "://" in url and urlsplit(url).password is not None


def refuse_stored_password(settings: Settings) -> None:
    """A password in `state.url` would be stored with every run's config (runs.db, readable by
    others) and shown in the UI: an error, unless the URL came from the variable."""
    if has_password(settings.state_url) and not state_url_is_from_env(settings):
        raise SettingsError(
            f"'state.url' holds a password, which Dagster would store with every run; "
            f"set the URL in ${STATE_URL_ENV} instead (runs then refer to it by name)"
        )


def home_from_env() -> str:
    return os.environ.get(HOME_ENV) or DEFAULT_HOME
