"""Shared pieces of the benchmark scripts: running a command timed, peak memory, the tools."""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import corpus

from logingest_dagster.engine.scan import level_fields

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
SEED_GO_SRC = REPO.parent / "shared" / "peers" / "seed-go"
SEED_GO_BIN = Path(tempfile.gettempdir()) / "seed-go"
GREP_PATTERN = "trace|debug|info|notice|warn|warning|error|err|fatal|crit|critical|severe"
MB = 1e6

# The corpus each measurement uses, per run size. "tiny" only shows that the scripts still work.
CORPORA = {
    "full": {
        "mixed": "mixed",
        "many": "many",
        "many10k": "many10k",
        "medium": "medium",
        "big": "big",
        "few": "few",
        "mix": "mix",
        "few200": "few200",
    },
    "tiny": {
        "mixed": "tiny",
        "many": "tiny-many",
        "many10k": "tiny-many10k",
        "medium": "tiny-medium",
        "big": "tiny-big",
        "few": "tiny-few",
        "mix": "tiny-mix",
        "few200": "tiny-few",
    },
}


class BenchError(RuntimeError):
    """A command the benchmark needs failed (the engine or a run, not an optional peer)."""


@dataclass
class Settings:
    size: str = "tiny"
    repeats: int = 1
    warmup: bool = False
    timeout: float = 120.0
    install_go: bool = False
    seed: int = 1
    errors: list[str] = field(default_factory=list)

    @classmethod
    def for_size(cls, size: str, **overrides) -> Settings:
        if size == "full":
            base = cls(size="full", repeats=3, warmup=True, timeout=1800.0, install_go=True)
        else:
            base = cls(size="tiny")
        for key, value in overrides.items():
            if value is not None:
                setattr(base, key, value)
        return base

    def corpus(self, role: str) -> Path:
        name = CORPORA[self.size][role]
        t0 = time.perf_counter()
        path = corpus.ensure(name, seed=self.seed)
        took = time.perf_counter() - t0
        if took > 1:
            log(f"generated corpus {name} in {took:.1f} s")
        return path

    def fail(self, message: str) -> None:
        log(f"ERROR: {message}")
        self.errors.append(message)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def arg_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--size", choices=("tiny", "full"), default="tiny")
    p.add_argument("--repeats", type=int, help="best of N (default 1 for tiny, 3 for full)")
    p.add_argument("--seed", type=int, help="corpus seed (default 1)")
    p.add_argument(
        "--no-install-go",
        dest="install_go",
        action="store_const",
        const=False,
        help="never apt-get install golang-go (full runs try when go is missing)",
    )
    return p


def settings_from_args(a: argparse.Namespace) -> Settings:
    return Settings.for_size(a.size, repeats=a.repeats, seed=a.seed, install_go=a.install_go)


# --------------------------------------------------------------------------------------------
# Running one command


@dataclass
class Run:
    cmd: list[str]
    seconds: float
    returncode: int
    max_rss_mb: float  # the largest single process of the tree (GNU time's %M)
    tree_pss_mb: float | None  # peak of the summed PSS of the whole process tree, sampled
    stdout: str
    stderr: str

    def json(self) -> dict:
        """The last stdout line that is a JSON object."""
        for line in reversed(self.stdout.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    return json.loads(line)
        raise BenchError(f"no JSON on stdout of {' '.join(self.cmd[:3])}: {self.stdout[-300:]!r}")

    def check(self, ok: tuple[int, ...] = (0,)) -> Run:
        if self.returncode not in ok:
            tail = self.stderr.strip().splitlines()[-5:]
            raise BenchError(
                f"{' '.join(self.cmd[:4])} exited {self.returncode}: {' | '.join(tail)}"
            )
        return self


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process and all its descendants, 10 times a second.

    PSS splits shared pages among the processes sharing them, so forked workers that share
    preloaded modules are not counted twice, unlike a sum of RSS.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop = pid, 0, threading.Event()
        self.available = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")

    def run(self) -> None:
        while self.available and not self.stop.is_set():
            kids, todo, total = _children(), [self.pid], 0
            while todo:
                pid = todo.pop()
                total += _pss_kb(pid)
                todo.extend(kids.get(pid, ()))
            self.peak_kb = max(self.peak_kb, total)
            self.stop.wait(0.1)


GNU_TIME = "/usr/bin/time"
# Without GNU time: a small Python parent that runs the command and reports its children's usage.
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def _measured(cmd: list[str], rss_file: Path) -> list[str]:
    """`cmd` under a small parent that writes the peak RSS (KB) of its child tree to a file.

    Not this process's own wait4: a child exec'd from a large parent (this one holds corpus
    pools) inherits the parent's RSS high-water mark, so the figure must come from a small parent.
    """
    if os.access(GNU_TIME, os.X_OK):
        return [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd]
    return [sys.executable, "-c", _WRAPPER, str(rss_file), *cmd]


def _read_rss_kb(rss_file: Path) -> int:
    with contextlib.suppress(OSError):
        for line in reversed(rss_file.read_text().strip().splitlines()):
            if line.strip().isdigit():
                return int(line)
    return 0


def run(
    cmd: list[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    sample_tree: bool = False,
) -> Run:
    """Run `cmd` with stdout and stderr to files; wall seconds and peak memory."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        rss_file = Path(tmp) / "rss"
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            _measured(cmd, rss_file),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid) if sample_tree else None
        if sampler:
            sampler.start()
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        if sampler:
            sampler.stop.set()
            sampler.join()
        # Workers a command leaves behind would skew the next measurement.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        return Run(
            cmd=cmd,
            seconds=seconds,
            returncode=proc.returncode,
            max_rss_mb=_read_rss_kb(rss_file) * 1024 / MB,
            tree_pss_mb=sampler.peak_kb * 1024 / MB if sampler and sampler.available else None,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace")
            + (f"\n(timed out after {timeout:.0f} s)" if killed.is_set() else ""),
        )


def best_of(make_cmd, s: Settings, *, before=None, env=None, ok=(0,)) -> Run:
    """Hot cache: one untimed run first (full size), then the fastest of `s.repeats` runs.

    `make_cmd(i)` builds the command for attempt i (so each attempt can have a fresh home);
    `before(i)` runs untimed before attempt i.
    """
    attempts = ([-1] if s.warmup else []) + list(range(s.repeats))
    best: Run | None = None
    for i in attempts:
        if before:
            before(i)
        r = run(make_cmd(i), timeout=s.timeout, env=env).check(ok)
        if i >= 0 and (best is None or r.seconds < best.seconds):
            best = r
    assert best is not None
    return best


# --------------------------------------------------------------------------------------------
# The tools


def logingest() -> str:
    """The console script, with the package's bytecode compiled first: measured as installed.

    An installed package runs from compiled bytecode (pip compiles it; Python writes it on first
    import). Where PYTHONDONTWRITEBYTECODE is set, as on this machine, an editable install would
    compile every module from source at each start instead: ~7 ms of `scan`'s ~110 ms start-up.
    """
    compileall.compile_dir(REPO / "logingest_dagster", quiet=1)
    if not level_fields.is_available():
        log("warning: the engine's compiled level finders are not built (make setup builds them);")
        log("         levels are found with RE2, several times slower")
    candidates = [Path(sys.executable).parent / "logingest", REPO / ".venv" / "bin" / "logingest"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which("logingest")
    if found:
        return found
    raise BenchError("no logingest console script (run: .venv/bin/pip install -e .)")


def run_env() -> dict[str, str]:
    """The environment for `logingest run`: its own instance under --home, no inherited one."""
    env = dict(os.environ)
    env.pop("DAGSTER_HOME", None)
    env.pop("LOGINGEST_CONFIG", None)
    return env


def run_cmd(exe: str, home: Path, log_dir: Path, nfiles: int, tmp: Path) -> list[str]:
    """`logingest run` over every file of `log_dir` in one run.

    The project reads the seed's `discovered_files_channel_size` (default 500) as the most files
    one run takes on, deferring the rest to later runs; a settings file raises it to the corpus
    size so that one run reads everything, as `scan` does. Everything else keeps its default.
    """
    config = tmp / "logingest.json"
    if not config.exists():
        settings = {"walker": {"log_dirs": [str(log_dir)]}}
        settings["discovered_files_channel_size"] = max(500, nfiles)
        config.write_text(json.dumps(settings))
    return [
        exe,
        "run",
        "--config",
        str(config),
        "--home",
        str(home),
        "--log-dir",
        str(log_dir),
        "--json",
    ]


def check_run(j: dict, what: str) -> dict:
    """A run's JSON summary, after checking it succeeded and deferred nothing."""
    if str(j.get("status", "")).upper() != "SUCCESS":
        raise BenchError(f"{what} ended {j.get('status')}: {j}")
    if j.get("files_deferred"):
        raise BenchError(f"{what} deferred {j['files_deferred']} files to a later run")
    return j


def seed_go(s: Settings) -> tuple[str | None, str]:
    """The compiled seed-go peer, building it if needed: (path or None, why not)."""
    if not SEED_GO_SRC.is_dir():
        return None, f"{SEED_GO_SRC} is absent"
    newest = max(p.stat().st_mtime for p in SEED_GO_SRC.iterdir())
    if SEED_GO_BIN.is_file() and SEED_GO_BIN.stat().st_mtime >= newest:
        return str(SEED_GO_BIN), ""
    go = shutil.which("go")
    if not go and s.install_go and shutil.which("apt-get") and os.geteuid() == 0:
        log("go is missing: apt-get install -y golang-go")
        subprocess.run(
            "apt-get update -qq && apt-get install -y -qq golang-go",
            shell=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        go = shutil.which("go")
    if not go:
        return None, "go is not installed (apt-get install -y golang-go)"
    built = subprocess.run(
        [go, "build", "-o", str(SEED_GO_BIN), "."],
        cwd=SEED_GO_SRC,
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        return None, f"go build failed: {built.stderr.strip()[-300:]}"
    return str(SEED_GO_BIN), ""


def seed_go_config(log_dir: Path, tmp: Path) -> Path:
    """The seed's own JSON settings, pointed at one directory, with both cores ingesting."""
    config = {
        "walker": {"log_dirs": [str(log_dir)], "max_discovery_workers": 10},
        "discovered_files_channel_size": 500,
        "ingestion": {"worker_count": 2},
    }
    path = tmp / "seed-go.json"
    path.write_text(json.dumps(config))
    return path


def log_files(corpus_dir: Path) -> list[str]:
    return sorted(str(p) for p in corpus_dir.glob("*.log"))


@contextlib.contextmanager
def scratch(prefix: str):
    """A scratch directory under benchmarks/out/tmp, removed afterwards."""
    (OUT / "tmp").mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=OUT / "tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fresh_home(parent: Path, name: str) -> Path:
    home = parent / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    return home


# --------------------------------------------------------------------------------------------
# Reporting


def agreement(expected: dict[str, int], got: dict[str, int]) -> float:
    """How far per-level counts agree with the generator's: matched records over the larger total.

    Counting a continuation line as a record of its own lowers it as much as a wrong level does.
    """
    total = max(sum(expected.values()), sum(got.values()))
    if not total:
        return 1.0
    levels = set(expected) | set(got)
    return sum(min(expected.get(k, 0), got.get(k, 0)) for k in levels) / total


def mbps(nbytes: int, seconds: float) -> float:
    return nbytes / MB / seconds if seconds > 0 else float("inf")


def fmt_rate(value: float | None) -> str:
    """MB/s with as many decimals as a small figure needs."""
    if value is None:
        return "n/a"
    return fmt(value, 0 if value >= 100 else 1 if value >= 1 else 2)


def files(n: int) -> str:
    return f"{n:,} file" + ("" if n == 1 else "s")


def fmt_ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def git_commit() -> str:
    r = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return r.stdout.strip() or "unknown"


def standalone(measure, render, description: str) -> int:
    """`python benchmarks/bench_X.py --size tiny|full`: one measurement, its table on stdout."""
    s = settings_from_args(arg_parser(description).parse_args())
    try:
        result = measure(s)
    except BenchError as exc:
        s.fail(str(exc))
        return 1
    print(render(result))
    return 1 if s.errors else 0
