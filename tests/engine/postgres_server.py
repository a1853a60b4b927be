"""Test helper: a throwaway PostgreSQL server from the machine's own binaries.

`running_postgres()` initialises a cluster in a temp dir, starts it on a free loopback port (no
Unix socket outside the temp dir, fsync off: it is thrown away), yields a `PostgresServer` that
creates databases and gives their SQLAlchemy URLs, and stops and deletes it all at the end.

Postgres refuses to run as root, so as root the server runs as the `postgres` OS user
(`runuser -u postgres --`), which Debian's `postgresql` package creates. Where no binaries are
installed, `find_bin_dir()` returns None with `why_missing()` saying what to install.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` with initdb, else where initdb is on PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: int(Path(p).parts[-3].split(".")[0]))
        return Path(newest).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def why_missing() -> str | None:
    """Why a server cannot be started here, or None if it can."""
    if find_bin_dir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl) not installed: apt-get install postgresql"
        )
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _user_exists(SUPERUSER)):
        return "running as root, and no 'postgres' OS user (or runuser) to run the server as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "no Postgres driver: pip install -e '.[dev]' (psycopg)"
    return None


class PostgresServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self._admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        self._created = 0

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "logingest", icu_locale: str | None = None) -> str:
        """A new, empty database (collating by `icu_locale`, e.g. "en-US", if given; else
        bytewise, C.UTF-8); returns its URL."""
        self._created += 1
        name = f"{prefix}_{self._created}"
        options = f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (options if icu_locale else ""))
        return self.url(name)

    def close(self) -> None:
        self._admin.dispose()


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    assert bin_dir is not None, why_missing()
    root = Path(tempfile.mkdtemp(prefix="logingest-pg-"))
    data, log = root / "data", root / "server.log"
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(root, SUPERUSER, SUPERUSER)

    def run(*args: str | Path) -> None:
        command = [str(a) for a in args]
        if as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=root)
        if done.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{server_log}"
            )

    try:
        run(
            bin_dir / "initdb", "-D", data, "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        port = _start(run, bin_dir, data, log, root)
        server = PostgresServer(port)
        try:
            yield server
        finally:
            server.close()
            run(bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(run, bin_dir: Path, data: Path, log: Path, socket_dir: Path) -> int:
    """Start on a free port; another process can take the port between the probe and the bind,
    so try a few."""
    for attempt in range(5):
        port = _free_port()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            run(bin_dir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")
            return port
        except RuntimeError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
