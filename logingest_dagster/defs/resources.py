"""The settings as a Dagster resource, so the launchpad shows and validates them.

Its fields are derived from the declarations in `settings.py` (name, type, description), plus
`home`. Every field has a default: the code location's own value, from the settings file that
`LOGINGEST_CONFIG` names and from `LOGINGEST_HOME`, so a launchpad run can override one field
(`log_dirs`) and keep the rest. Dagster's config system rejects unknown keys and wrong types;
`settings()` adds the range checks.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field, create_model

from logingest_dagster.engine.scan import EVENTS_PER_READ, ScanOptions
from logingest_dagster.environment import STATE_URL_ENV
from logingest_dagster.settings import (
    DECLARATIONS,
    Declaration,
    Settings,
    for_directory,
    home_from_env,
    refuse_stored_password,
    settings_from_env,
    state_url_is_from_env,
    validate,
)

HOME_DESCRIPTION = "Holds warehouse/ (Parquet outputs) and state/ (offset store)."
RESOURCE_SETTINGS = tuple(d for d in DECLARATIONS if d.in_resource)


def resource_values(settings: Settings, home: str) -> dict[str, Any]:
    """The resource's field values for `settings`, with every directory made absolute: a run may
    execute in another working directory than the one the code location loaded in."""
    values = {d.name: getattr(settings, d.name) for d in RESOURCE_SETTINGS}
    values["home"] = str(Path(home).resolve())
    values["log_dirs"] = [str(Path(d).resolve()) for d in settings.log_dirs]
    for by_directory in ("level_patterns", "services", "timezones"):
        values[by_directory] = {
            str(Path(d).resolve()): v for d, v in getattr(settings, by_directory).items()
        }
    return values


def location_default(name: str) -> Any:
    """A field left out when the resource is built: the code location's own value.

    Having a default keeps every field optional in the launchpad's schema. A field that run config
    leaves out is then filled by Dagster from the code location's resource, which holds these
    same values; a schema default (the declared one) would instead override the settings file's.
    """
    return resource_values(settings_from_env(), home_from_env())[name]


def field_description(declared: Declaration) -> str:
    return f"{declared.where}: {declared.description}"


class _LogIngestResourceBase(ConfigurableResource):
    home: str = Field(
        default_factory=partial(location_default, "home"), description=HOME_DESCRIPTION
    )

    events_min_level: str = Field(
        "WARN", description="events.min_level: records of this level and above are events."
    )
    services: dict[str, str] = Field(
        default_factory=dict, description="Directory -> service label; default: the file's stem."
    )
    timezone: str = Field("UTC", description="Zone of times written without one (IANA name).")
    timezones: dict[str, str] = Field(
        default_factory=dict, description="Directory -> zone, overriding `timezone`."
    )
    retention_days: int = Field(
        30, description="events/ and severity_timeseries/ keep this many days (whole days)."
    )

    def settings(self) -> Settings:
        return validate(
            Settings(**{d.name: getattr(self, d.name) for d in RESOURCE_SETTINGS}),
            source="resources.logingest.config",
        )

    def scan_options_for(self, path: str) -> ScanOptions:
        """The per-directory level pattern that applies to `path`, if any."""
        parent = Path(path).parent.resolve()
        pattern = next(
            (p for d, p in self.level_patterns.items() if Path(d).resolve() == parent), None
        )
        return ScanOptions(
            level_pattern=pattern,
            multiline_start_pattern=self.multiline_start_pattern,
            max_events=EVENTS_PER_READ,
            min_level=self.events_min_level,
            timezone=for_directory(self.timezones, path) or self.timezone,
            service=for_directory(self.services, path),
            minute_counts=True,
        )


LogIngestResource = create_model(
    "LogIngestResource",
    __base__=_LogIngestResourceBase,
    __module__=__name__,
    __doc__="The settings of `settings.py` (each declared once there) and `home`.",
    **{
        d.name: (
            d.type,
            Field(
                default_factory=partial(location_default, d.name),
                description=field_description(d),
            ),
        )
        for d in RESOURCE_SETTINGS
    },
)


def resource_from_env() -> LogIngestResource:
    return resource_from_settings(settings_from_env(), home_from_env())


def resource_from_settings(settings: Settings, home: str) -> LogIngestResource:
    refuse_stored_password(settings)
    values = resource_values(settings, home)
    if state_url_is_from_env(settings):
        values["state_url"] = EnvVar(STATE_URL_ENV)
    return LogIngestResource(**values)
