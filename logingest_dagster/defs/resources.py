"""The settings as a Dagster resource, so the launchpad shows and validates them.

Defaults come from `LOGINGEST_CONFIG` (the seed's JSON settings file) and `LOGINGEST_HOME` when the
code location loads; every field can be overridden per run in the launchpad. Dagster's config
system already rejects unknown keys and wrong types; `settings()` adds the range checks.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from logingest_dagster.engine.scan import EVENTS_PER_READ, ScanOptions
from logingest_dagster.settings import (
    STATE_URL_ENV,
    Settings,
    home_from_env,
    settings_from_env,
    state_url_from_env,
    url_password,
    validate,
)

logger = logging.getLogger(__name__)


class LogIngestResource(ConfigurableResource):
    home: str = Field(description="Holds warehouse/ (Parquet outputs) and state/ (offset store).")
    log_dirs: list[str] = Field(description="walker.log_dirs: directories scanned for *.log files.")
    max_discovery_workers: int = Field(10, description="walker.max_discovery_workers.")
    discovered_files_channel_size: int = Field(
        500, description="The most files one run takes on; the rest wait for the next run."
    )
    fan_out_limit: int = Field(
        32, description="Up to this many files, one ingestion step per file; beyond, packed groups."
    )
    partial_line_grace_seconds: float = Field(
        60.0, description="A last line with no newline is counted once its file is this quiet."
    )
    rotate_wait_seconds: float = Field(
        300.0,
        description="A rotated file written to this recently is followed for the lines its "
        "writer adds before reopening its log, until it has been this quiet.",
    )
    level_patterns: dict[str, str] = Field(
        default_factory=dict,
        description="Directory -> regex with (?P<level>...), overriding detection.",
    )
    multiline_start_pattern: str | None = Field(
        None, description="Regex matching the first line of a record; overrides the heuristic."
    )
    state_url: str | None = Field(
        None,
        description=f"Offset store URL; default SQLite in <home>/state. Keep a password out of "
        f"run config with ${STATE_URL_ENV}, which runs refer to by name.",
    )
    alerts: dict[str, Any] = Field(
        default_factory=dict,
        description="The settings file's `alerts` section: rules, services, webhook timeouts "
        "({}: the default rule). The webhook URL is never here: $LOGINGEST_ALERT_WEBHOOK.",
    )

    def settings(self) -> Settings:
        return validate(
            Settings(
                log_dirs=list(self.log_dirs),
                max_discovery_workers=self.max_discovery_workers,
                discovered_files_channel_size=self.discovered_files_channel_size,
                fan_out_limit=self.fan_out_limit,
                partial_line_grace_seconds=self.partial_line_grace_seconds,
                rotate_wait_seconds=self.rotate_wait_seconds,
                level_patterns=dict(self.level_patterns),
                multiline_start_pattern=self.multiline_start_pattern,
                state_url=self.state_url,
                alerts=dict(self.alerts),
            ),
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
        )


def resource_from_env() -> LogIngestResource:
    return resource_from_settings(settings_from_env(), home_from_env())


def resource_from_settings(settings: Settings, home: str) -> LogIngestResource:
    if url_password(settings.state_url) and not state_url_from_env(settings):
        logger.warning(
            "state.url holds a password, which Dagster stores in each run's config and shows "
            "in the UI; put the URL in $%s instead",
            STATE_URL_ENV,
        )
    return LogIngestResource(
        home=str(Path(home).resolve()),
        log_dirs=[str(Path(d).resolve()) for d in settings.log_dirs],
        max_discovery_workers=settings.max_discovery_workers,
        discovered_files_channel_size=settings.discovered_files_channel_size,
        fan_out_limit=settings.fan_out_limit,
        partial_line_grace_seconds=settings.partial_line_grace_seconds,
        rotate_wait_seconds=settings.rotate_wait_seconds,
        level_patterns={str(Path(d).resolve()): p for d, p in settings.level_patterns.items()},
        multiline_start_pattern=settings.multiline_start_pattern,
        state_url=EnvVar(STATE_URL_ENV) if state_url_from_env(settings) else settings.state_url,
        alerts=settings.alerts,
    )
