"""Deterministic benchmark corpus: mixed real-world log formats, files from KB to GB.

Each format renders a pool of about 1 MB of varied records once (Python formatting, seeded), and
files are tiled from those pools: whole records are copied, and a 6-character counter token inside
ids is replaced per copy, so 2 GB costs a few hundred `bytes.replace` calls instead of millions of
formatted lines. Files always end on a record boundary.

Every record's level is known when it is rendered, so `manifest.json` beside the files holds the
expected per-level record counts (by the project's GUIDE.md table) as well as bytes and lines.

    python benchmarks/corpus.py SIZE [--out DIR] [--seed N] [--force]

SIZE is one of tiny, mixed, many, many10k, medium, big, few, few200, mix (or the small stand-ins the tiny benchmark
run uses: tiny-many, tiny-many10k, tiny-medium, tiny-big, tiny-few, tiny-mix). The default DIR is
benchmarks/out/corpus/SIZE; a corpus whose manifest matches is reused, not rewritten.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

GENERATOR_VERSION = 1
HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "out" / "corpus"
LOGHUB = HERE.parent.parent / "shared" / "loghub"
LEVELS = ("TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL", "UNKNOWN")
LEVEL_INDEX = {name: i for i, name in enumerate(LEVELS)}

# Fixed-width counter placeholder inside ids; replaced by 6 decimal digits per tiled copy.
TOKEN = "@CTR@@"
TOKEN_B = TOKEN.encode()

# A realistic severity mix (per record, before a format maps a level it cannot spell).
MIX = {
    "TRACE": 2.0,
    "DEBUG": 12.0,
    "INFO": 68.0,
    "NOTICE": 1.5,
    "WARN": 9.0,
    "ERROR": 6.0,
    "FATAL": 0.5,
}
MIX_NAMES = tuple(MIX)
MIX_CUM = [sum(tuple(MIX.values())[: i + 1]) for i in range(len(MIX))]

POOL_BYTES = 1 << 20

# --------------------------------------------------------------------------------------------
# Vocabulary and the record generator


SERVICES = (
    "billing", "checkout", "auth", "inventory", "search", "gateway", "payments", "notifier",
    "scheduler", "reports", "catalog", "shipping", "profile", "ingest", "exporter",
)  # fmt: skip
HOSTS = tuple(f"{p}-{i:02d}.prod.internal" for p in ("web", "db", "cache", "api") for i in range(6))
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
PATHS = (
    "/api/v1/orders", "/api/v1/users", "/api/v2/cart", "/health", "/metrics", "/login",
    "/api/v1/search", "/static/app.js", "/api/v1/invoices", "/api/v2/payments/charge",
)  # fmt: skip
JAVA_PKGS = (
    "com.acme.billing", "com.acme.checkout.service", "org.apache.kafka.clients.consumer",
    "org.springframework.web.servlet", "com.zaxxer.hikari.pool", "io.netty.channel",
    "org.hibernate.engine.jdbc", "com.acme.search.index",
)  # fmt: skip
JAVA_CLASSES = (
    "OrderService", "InvoiceController", "KafkaConsumer", "DispatcherServlet", "HikariPool",
    "NioEventLoop", "SqlExceptionHelper", "IndexWriter", "RetryTemplate", "CacheManager",
)  # fmt: skip
JAVA_EXC = (
    ("java.net.SocketTimeoutException", "Read timed out"),
    ("java.lang.IllegalStateException", "Connection pool shut down"),
    ("java.io.IOException", "Connection reset by peer"),
    ("java.lang.NullPointerException", 'Cannot invoke "String.length()" because "s" is null'),
    ("org.postgresql.util.PSQLException", "ERROR: duplicate key value violates unique constraint"),
    ("java.util.concurrent.TimeoutException", "Timeout waiting for task."),
)
PY_EXC = (
    ("ValueError", "invalid literal for int() with base 10: 'abc'"),
    ("KeyError", "'customer_id'"),
    ("ConnectionError", "HTTPSConnectionPool(host='api.internal', port=443): Max retries exceeded"),
    ("TimeoutError", "timed out after 30.0 seconds"),
    ("psycopg2.OperationalError", "server closed the connection unexpectedly"),
)
PY_MODULES = ("app.worker", "app.api.views", "app.db", "celery.worker", "urllib3.connectionpool")
GO_FILES = ("controller.go", "reflector.go", "server.go", "leaderelection.go", "kubelet.go")
ANDROID_TAGS = (
    "ActivityManager",
    "PackageManager",
    "WifiService",
    "chatty",
    "OkHttp",
    "MainActivity",
)

MESSAGES = {
    "TRACE": (
        "entering {cls}.process(id={n})",
        "exit {cls}.handle took {ms}us",
        "frame decoded len={n} flags=0x{hex4}",
        "lock {id} acquired by worker-{k}",
    ),
    "DEBUG": (
        "resolved {host} to {ip}",
        "SQL: SELECT * FROM orders WHERE customer_id = {n} LIMIT 50",
        "cache miss for key session:{id}",
        "loaded {n} rows from {svc}_snapshot in {ms} ms",
        "request headers: accept=application/json user-agent=curl/8.{k}.0",
    ),
    "INFO": (
        "GET {path}/{n} 200 {ms}ms",
        "POST {path} 201 {ms}ms bytes={n}",
        "user {user} logged in from {ip}",
        "processed batch {id} with {n} records in {ms} ms",
        "connection established to {host}:{port}",
        "started {svc} service in {k}.{k2} seconds",
        "scheduled job {svc}-sync completed, next run in {k} minutes",
        "checkpoint complete: wrote {n} buffers ({k}.{k2}%)",
        "committed offset {n} for partition {k} of topic {svc}-events",
        "health check ok: {svc} latency={ms}ms",
    ),
    "NOTICE": (
        "configuration reloaded from /etc/{svc}/{svc}.conf",
        "server version 2.{k}.{k2} started",
        "caught SIGTERM, shutting down gracefully",
    ),
    "WARN": (
        "slow query took {ms} ms: SELECT * FROM invoices WHERE id = {n}",
        "retrying request to {host} (attempt {k}/5)",
        "disk usage at 9{k}% on /var/lib/{svc}",
        "deprecated config key {svc}.timeout, use {svc}.request_timeout",
        "connection pool nearly exhausted ({k}/10 in use)",
        "response from {host} took {ms} ms, above the 500 ms budget",
    ),
    "ERROR": (
        "failed to connect to {host}:{port}: connection refused",
        "request {id} failed with status 500 after {ms} ms",
        "unable to parse payload from {ip}: unexpected end of JSON input",
        "timeout after {ms} ms waiting for {svc}",
        "could not write to /var/lib/{svc}/data: No space left on device",
    ),
    "FATAL": (
        "out of memory: cannot allocate {n} bytes, shutting down",
        "unrecoverable state in {svc}, exiting",
        "could not bind to 0.0.0.0:{port}: address already in use",
    ),
}
# Messages that name another level: the level field decides, never a word in the message.
TRAPS = (
    "recovered from previous error in {svc}",
    "error_count={k} warning_count={k2} in the last minute",
    "GET /api/v1/errors?level=fatal 200 {ms}ms",
    "debug endpoint disabled in production",
    "set log level to error for {svc}",
    "warning threshold raised to {ms} ms",
    "no errors found during nightly audit",
    "info: critical section released by worker-{k}",
)


class Gen:
    """Random record pieces for one format's pool."""

    def __init__(self, rng: random.Random, start: float) -> None:
        self.r = rng
        self.t = start

    def tick(self) -> datetime:
        self.t += self.r.expovariate(20.0)
        return datetime.fromtimestamp(self.t, UTC)

    def level(self) -> str:
        return MIX_NAMES[bisect.bisect_right(MIX_CUM, self.r.random() * MIX_CUM[-1])]

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def ident(self) -> str:
        """An id that changes with every tiled copy (the counter token) and every record."""
        return f"{TOKEN}{self.r.getrandbits(32):08x}"

    def ip(self) -> str:
        r = self.r
        return f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def message(self, level: str) -> str:
        r = self.r
        template = self.pick(TRAPS) if r.random() < 0.04 else self.pick(MESSAGES[level])
        return template.format(
            cls=self.pick(JAVA_CLASSES),
            svc=self.pick(SERVICES),
            host=self.pick(HOSTS),
            user=self.pick(USERS),
            path=self.pick(PATHS),
            ip=self.ip(),
            id=self.ident(),
            n=r.randrange(1, 10**6),
            ms=r.randrange(1, 5000),
            k=r.randrange(1, 10),
            k2=r.randrange(0, 100),
            port=r.choice((5432, 6379, 8080, 9092, 443)),
            hex4=f"{r.getrandbits(16):04x}",
        )

    def java_trace(self) -> list[str]:
        r = self.r
        exc, text = self.pick(JAVA_EXC)
        lines = [f"{exc}: {text}"]
        for _ in range(r.randrange(4, 14)):
            pkg, cls = self.pick(JAVA_PKGS), self.pick(JAVA_CLASSES)
            method = self.pick(("run", "process", "invoke", "doFilter", "execute", "call"))
            lines.append(f"\tat {pkg}.{cls}.{method}({cls}.java:{r.randrange(20, 900)})")
        if r.random() < 0.5:
            exc2, text2 = self.pick(JAVA_EXC)
            lines.append(f"Caused by: {exc2}: {text2}")
            for _ in range(r.randrange(2, 6)):
                pkg, cls = self.pick(JAVA_PKGS), self.pick(JAVA_CLASSES)
                lines.append(f"\tat {pkg}.{cls}.call({cls}.java:{r.randrange(20, 900)})")
            lines.append(f"\t... {r.randrange(5, 40)} more")
        return lines

    def py_traceback(self) -> list[str]:
        r = self.r
        lines = ["Traceback (most recent call last):"]
        for _ in range(r.randrange(2, 6)):
            module = self.pick(PY_MODULES).replace(".", "/")
            func = self.pick(("run", "handle", "_send", "execute", "urlopen"))
            lines.append(f'  File "/srv/{module}.py", line {r.randrange(10, 900)}, in {func}')
            lines.append(f"    result = self.{func}(job, timeout={r.randrange(1, 60)})")
        exc, text = self.pick(PY_EXC)
        lines.append(f"{exc}: {text}")
        return lines


# --------------------------------------------------------------------------------------------
# Formats. Each returns (expected canonical level, lines of one record).

# The canonical levels of the spellings used below (GUIDE.md's table).
WORDS = {
    "TRACE": "TRACE", "VERBOSE": "TRACE", "DEBUG": "DEBUG", "INFO": "INFO", "NOTICE": "NOTICE",
    "WARN": "WARN", "WARNING": "WARN", "ERROR": "ERROR", "ERR": "ERROR", "SEVERE": "ERROR",
    "FATAL": "FATAL", "CRITICAL": "FATAL", "CRIT": "FATAL", "ALERT": "FATAL", "EMERG": "FATAL",
    "PANIC": "FATAL", "LOG": "INFO",
}  # fmt: skip
SYSLOG_SEV = {"FATAL": (0, 1, 2), "ERROR": (3,), "WARN": (4,), "NOTICE": (5,), "INFO": (6,)}
SYSLOG_SEV |= {"DEBUG": (7,), "TRACE": (7,)}
SYSLOG_CANON = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG")


def spell(g: Gen, level: str, table: dict[str, tuple[str, ...]]) -> tuple[str, str]:
    """A spelling of `level` this format uses, and the canonical level that spelling means."""
    word = g.pick(table[level])
    return word, WORDS[word.upper()]


LOG4J = {
    "TRACE": ("TRACE",), "DEBUG": ("DEBUG",), "INFO": ("INFO",), "NOTICE": ("INFO",),
    "WARN": ("WARN",), "ERROR": ("ERROR",), "FATAL": ("FATAL",),
}  # fmt: skip


def log4j(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), LOG4J)
    d = g.tick()
    thread = g.pick(("main", "http-nio-8080-exec-3", "kafka-consumer-1", "pool-2-thread-7"))
    logger = f"{g.pick(JAVA_PKGS)}.{g.pick(JAVA_CLASSES)}"
    lines = [
        f"{d:%Y-%m-%d %H:%M:%S},{d.microsecond // 1000:03d} {word:<5} [{thread}] {logger} - "
        f"{g.message(canon)}"
    ]
    if (
        canon in ("ERROR", "FATAL")
        and g.r.random() < 0.4
        or canon == "WARN"
        and g.r.random() < 0.05
    ):
        lines += g.java_trace()
    return canon, lines


def logback(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), LOG4J | {"FATAL": ("ERROR",)})
    d = g.tick()
    logger = f"{g.pick(JAVA_PKGS)}.{g.pick(JAVA_CLASSES)}"
    lines = [
        f"{d:%H:%M:%S}.{d.microsecond // 1000:03d} [{g.pick(SERVICES)}-worker-{g.r.randrange(8)}] "
        f"{word:<5} {logger[-36:]} - {g.message(canon)}"
    ]
    if canon == "ERROR" and g.r.random() < 0.5:
        lines += g.java_trace()
    return canon, lines


PYLOG = {
    "TRACE": ("DEBUG",), "DEBUG": ("DEBUG",), "INFO": ("INFO",), "NOTICE": ("INFO",),
    "WARN": ("WARNING",), "ERROR": ("ERROR",), "FATAL": ("CRITICAL",),
}  # fmt: skip


def python_logging(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), PYLOG)
    d = g.tick()
    lines = [
        f"{d:%Y-%m-%d %H:%M:%S},{d.microsecond // 1000:03d} - {g.pick(PY_MODULES)} - {word} - "
        f"{g.message(canon)}"
    ]
    if canon in ("ERROR", "FATAL") and g.r.random() < 0.35:
        lines += g.py_traceback()
    return canon, lines


def python_basic(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), PYLOG)
    lines = [f"{word}:{g.pick(PY_MODULES)}:{g.message(canon)}"]
    if canon == "ERROR" and g.r.random() < 0.3:
        lines += g.py_traceback()
    return canon, lines


JSONLVL = {
    "TRACE": ("trace",), "DEBUG": ("debug",), "INFO": ("info", "INFO"), "NOTICE": ("info",),
    "WARN": ("warn", "warning"), "ERROR": ("error", "ERROR"), "FATAL": ("fatal", "critical"),
}  # fmt: skip


def json_lines(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), JSONLVL)
    d = g.tick()
    msg = g.message(canon).replace('"', '\\"')
    extra = ""
    if canon == "ERROR" and g.r.random() < 0.3:
        extra = ',"stack":"' + "\\n".join(g.java_trace()).replace('"', '\\"').replace("\t", "\\t")
        extra += '"'
    line = (
        f'{{"time":"{d:%Y-%m-%dT%H:%M:%S}.{d.microsecond // 1000:03d}Z","level":"{word}",'
        f'"logger":"{g.pick(SERVICES)}","msg":"{msg}","request_id":"{g.ident()}"{extra}}}'
    )
    return canon, [line]


PINO = {"TRACE": 10, "DEBUG": 20, "INFO": 30, "NOTICE": 30, "WARN": 40, "ERROR": 50, "FATAL": 60}
PINO_CANON = {10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}


def pino(g: Gen) -> tuple[str, list[str]]:
    num = PINO[g.level()]
    canon = PINO_CANON[num]
    msg = g.message(canon).replace('"', '\\"')
    line = (
        f'{{"level":{num},"time":{int(g.tick().timestamp() * 1000)},"pid":{g.r.randrange(100, 9999)},'
        f'"hostname":"{g.pick(HOSTS)}","reqId":"req-{g.ident()}","msg":"{msg}"}}'
    )
    return canon, [line]


LOGFMT = {
    "TRACE": ("trace",), "DEBUG": ("debug",), "INFO": ("info",), "NOTICE": ("info",),
    "WARN": ("warn", "warning"), "ERROR": ("error",), "FATAL": ("fatal", "panic"),
}  # fmt: skip


def logfmt(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), LOGFMT)
    d = g.tick()
    line = (
        f'time="{d:%Y-%m-%dT%H:%M:%S}Z" level={word} msg="{g.message(canon).replace(chr(34), "")}" '
        f"component={g.pick(SERVICES)} trace_id={g.ident()} duration_ms={g.r.randrange(1, 900)}"
    )
    return canon, [line]


KLOG = {"TRACE": "I", "DEBUG": "I", "INFO": "I", "NOTICE": "I", "WARN": "W", "ERROR": "E"}
KLOG_CANON = {"I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL"}


def klog(g: Gen) -> tuple[str, list[str]]:
    letter = KLOG.get(g.level(), "F")
    d = g.tick()
    line = (
        f"{letter}{d:%m%d %H:%M:%S}.{d.microsecond:06d} {g.r.randrange(1, 99999):>7} "
        f"{g.pick(GO_FILES)}:{g.r.randrange(30, 999)}] {g.message(KLOG_CANON[letter])}"
        f' pod="{g.pick(SERVICES)}-{g.ident()}"'
    )
    return KLOG_CANON[letter], [line]


LOGCAT = {
    "TRACE": ("V",), "DEBUG": ("D",), "INFO": ("I",), "NOTICE": ("I",), "WARN": ("W",),
    "ERROR": ("E",), "FATAL": ("F", "A"),
}  # fmt: skip
LOGCAT_CANON = {"V": "TRACE", "D": "DEBUG", "I": "INFO", "W": "WARN", "E": "ERROR"}
LOGCAT_CANON |= {"F": "FATAL", "A": "FATAL"}


def logcat(g: Gen) -> tuple[str, list[str]]:
    letter = g.pick(LOGCAT[g.level()])
    d = g.tick()
    pid = g.r.randrange(300, 30000)
    line = (
        f"{d:%m-%d %H:%M:%S}.{d.microsecond // 1000:03d} {pid:>5} {pid + g.r.randrange(40):>5} "
        f"{letter} {g.pick(ANDROID_TAGS)}: {g.message(LOGCAT_CANON[letter])}"
    )
    return LOGCAT_CANON[letter], [line]


def syslog_bsd(g: Gen) -> tuple[str, list[str]]:
    sev = g.pick(SYSLOG_SEV[g.level()])
    pri = g.pick((1, 3, 4, 10, 16, 23)) * 8 + sev
    d = g.tick()
    app = g.pick(("sshd", "cron", "kernel", "systemd", "postfix/smtpd", "dhclient"))
    line = (
        f"<{pri}>{d:%b} {d.day:>2} {d:%H:%M:%S} {g.pick(HOSTS).split('.')[0]} "
        f"{app}[{g.r.randrange(100, 65000)}]: {g.message(SYSLOG_CANON[sev])}"
    )
    return SYSLOG_CANON[sev], [line]


def syslog_5424(g: Gen) -> tuple[str, list[str]]:
    sev = g.pick(SYSLOG_SEV[g.level()])
    pri = g.pick((1, 3, 16, 20)) * 8 + sev
    d = g.tick()
    line = (
        f"<{pri}>1 {d:%Y-%m-%dT%H:%M:%S}.{d.microsecond // 1000:03d}Z {g.pick(HOSTS)} "
        f"{g.pick(SERVICES)} {g.r.randrange(100, 65000)} ID{g.r.randrange(100)} "
        f'[meta seq="{g.ident()}"] {g.message(SYSLOG_CANON[sev])}'
    )
    return SYSLOG_CANON[sev], [line]


NGINX = {
    "TRACE": ("debug",), "DEBUG": ("debug",), "INFO": ("info",), "NOTICE": ("notice",),
    "WARN": ("warn",), "ERROR": ("error",), "FATAL": ("crit", "alert", "emerg"),
}  # fmt: skip


def nginx_error(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), NGINX)
    d = g.tick()
    pid = g.r.randrange(100, 9999)
    line = (
        f"{d:%Y/%m/%d %H:%M:%S} [{word}] {pid}#{pid}: *{g.r.randrange(1, 10**6)} "
        f"{g.message(canon)}, client: {g.ip()}, server: {g.pick(HOSTS)}, "
        f'request: "GET {g.pick(PATHS)} HTTP/1.1", host: "shop.example.com"'
    )
    return canon, [line]


APACHE = NGINX | {"WARN": ("warn",), "ERROR": ("error",)}


def apache_error(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), APACHE)
    d = g.tick()
    module = g.pick(("core", "ssl", "proxy", "mpm_event", "authz_core"))
    line = (
        f"[{d:%a %b %d %H:%M:%S}.{d.microsecond:06d} {d:%Y}] [{module}:{word}] "
        f"[pid {g.r.randrange(100, 9999)}:tid {g.r.randrange(10**9, 10**10)}] "
        f"[client {g.ip()}:{g.r.randrange(1024, 65535)}] AH0{g.r.randrange(1000, 9999)}: "
        f"{g.message(canon)}"
    )
    return canon, [line]


HDFS = {"TRACE": "INFO", "DEBUG": "INFO", "INFO": "INFO", "NOTICE": "INFO", "WARN": "WARN"}


def hdfs(g: Gen) -> tuple[str, list[str]]:
    word = HDFS.get(g.level(), "ERROR")
    d = g.tick()
    comp = g.pick(("dfs.DataNode$PacketResponder", "dfs.FSNamesystem", "dfs.DataNode$DataXceiver"))
    blk = f"blk_{TOKEN}{g.r.randrange(10**12, 10**13)}"
    body = g.pick(
        (
            f"PacketResponder {g.r.randrange(3)} for block {blk} terminating",
            f"Receiving block {blk} src: /{g.ip()}:{g.r.randrange(30000, 60000)}",
            f"BLOCK* NameSystem.addStoredBlock: blockMap updated: {g.ip()}:50010 is added to {blk}",
            f"{g.ip()}:50010:Got exception while serving {blk} to /{g.ip()}",
        )
    )
    line = f"{d:%y%m%d %H%M%S} {g.r.randrange(1, 999)} {word} {comp}: {body}"
    return WORDS[word], [line]


OSLO = {
    "TRACE": ("DEBUG",), "DEBUG": ("DEBUG",), "INFO": ("INFO",), "NOTICE": ("INFO",),
    "WARN": ("WARNING",), "ERROR": ("ERROR",), "FATAL": ("CRITICAL",),
}  # fmt: skip


def openstack(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), OSLO)
    d = g.tick()
    src = g.pick(("nova-api.log.1.2017-05-16_13:53:08", "nova-compute.log.1.2017-05-16_13:55:31"))
    line = (
        f"{src} {d:%Y-%m-%d %H:%M:%S}.{d.microsecond // 1000:03d} {g.r.randrange(2000, 30000)} "
        f"{word} nova.{g.pick(('osapi_compute.wsgi.server', 'compute.manager', 'virt.libvirt'))} "
        f"[req-{g.ident()}-{g.r.getrandbits(32):08x} - - -] {g.message(canon)}"
    )
    return canon, [line]


ZK = LOG4J | {"TRACE": ("DEBUG",)}


def zookeeper(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), ZK)
    d = g.tick()
    where = g.pick(
        (
            "QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774",
            "NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181:NIOServerCnxn@1001",
            "SendWorker:188978561024:QuorumCnxManager$SendWorker@688",
        )
    )
    lines = [
        f"{d:%Y-%m-%d %H:%M:%S},{d.microsecond // 1000:03d} - {word:<5} [{where}] - "
        f"{g.message(canon)} session 0x{TOKEN}{g.r.getrandbits(24):06x}"
    ]
    if canon == "ERROR" and g.r.random() < 0.3:
        lines += g.java_trace()
    return canon, lines


RAILS = {"TRACE": "D", "DEBUG": "D", "INFO": "I", "NOTICE": "I", "WARN": "W", "ERROR": "E"}
RAILS_WORD = {"D": "DEBUG", "I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL"}


def rails(g: Gen) -> tuple[str, list[str]]:
    letter = RAILS.get(g.level(), "F")
    d = g.tick()
    word = RAILS_WORD[letter]
    line = (
        f"{letter}, [{d:%Y-%m-%dT%H:%M:%S}.{d.microsecond:06d} #{g.r.randrange(1000, 99999)}] "
        f"{word:>5} -- : [{g.ident()}] {g.message(word)}"
    )
    return word, [line]


POSTGRES = {
    "TRACE": ("LOG",), "DEBUG": ("LOG",), "INFO": ("LOG",), "NOTICE": ("LOG",),
    "WARN": ("WARNING",), "ERROR": ("ERROR",), "FATAL": ("FATAL", "PANIC"),
}  # fmt: skip


def postgres(g: Gen) -> tuple[str, list[str]]:
    word, canon = spell(g, g.level(), POSTGRES)
    d = g.tick()
    line = (
        f"{d:%Y-%m-%d %H:%M:%S}.{d.microsecond // 1000:03d} UTC [{g.r.randrange(100, 99999)}] "
        f"{word}:  {g.message(canon)}"
    )
    return canon, [line]


def plain(g: Gen) -> tuple[str, list[str]]:
    """Go's standard logger: no level field, so every record is UNKNOWN whatever it says."""
    d = g.tick()
    level = g.level()
    return "UNKNOWN", [
        f"{d:%Y/%m/%d %H:%M:%S} {g.pick(GO_FILES)}:{g.r.randrange(9, 999)}: {g.message(level)}"
    ]


FORMATS: dict[str, Callable[[Gen], tuple[str, list[str]]]] = {
    "log4j": log4j,
    "logback": logback,
    "python": python_logging,
    "pybasic": python_basic,
    "json": json_lines,
    "pino": pino,
    "logfmt": logfmt,
    "klog": klog,
    "logcat": logcat,
    "syslog": syslog_bsd,
    "syslog5424": syslog_5424,
    "nginx": nginx_error,
    "apache": apache_error,
    "hdfs": hdfs,
    "openstack": openstack,
    "zookeeper": zookeeper,
    "rails": rails,
    "postgres": postgres,
    "plain": plain,
}
LOGHUB_NAMES = ("Apache", "HDFS", "Hadoop", "Linux", "OpenSSH", "OpenStack", "Zookeeper")


# --------------------------------------------------------------------------------------------
# Pools: one block of records per format, with prefix sums of levels and lines per record.


@dataclass
class Pool:
    name: str
    block: bytes
    starts: list[int]  # byte offset of each record, plus len(block) at the end
    cum_levels: list[list[int]]  # per level: records of that level among the first i records
    cum_lines: list[int]  # physical lines among the first i records
    counter: int = 0  # the next counter value for the token (advances per tiled copy)

    @property
    def records(self) -> int:
        return len(self.starts) - 1

    def counts(self, i: int, j: int) -> tuple[list[int], int]:
        return [c[j] - c[i] for c in self.cum_levels], self.cum_lines[j] - self.cum_lines[i]


def _pool(name: str, records: list[tuple[str, bytes, int]]) -> Pool:
    starts, cum_lines, pos, nl = [0], [0], 0, 0
    cum = [[0] for _ in LEVELS]
    for level, data, nlines in records:
        pos += len(data)
        nl += nlines
        starts.append(pos)
        cum_lines.append(nl)
        hit = LEVEL_INDEX[level]
        for k, c in enumerate(cum):
            c.append(c[-1] + (k == hit))
    return Pool(name, b"".join(r[1] for r in records), starts, cum, cum_lines)


def synthetic_pool(name: str, seed: int, size: int = POOL_BYTES) -> Pool:
    rng = random.Random(f"{seed}:pool:{name}")
    g = Gen(rng, datetime(2024, 3, 5, tzinfo=UTC).timestamp() + rng.randrange(86400 * 30))
    render = FORMATS[name]
    records, total = [], 0
    while total < size:
        level, lines = render(g)
        data = ("\n".join(lines) + "\n").encode()
        records.append((level, data, len(lines)))
        total += len(data)
    return _pool(name, records)


def loghub_pool(name: str) -> Pool | None:
    """A real loghub sample as one pool: every line is one record (CRLF kept as it is)."""
    path = LOGHUB / f"{name}.log"
    if not path.is_file():
        return None
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        data += b"\r\n" if b"\r\n" in data[:4096] else b"\n"
    levels: dict[int, str] = {}
    labels = LOGHUB / f"{name}.levels.csv"
    if labels.is_file():
        for row in labels.read_text().splitlines()[1:]:
            number, _, level = row.partition(",")
            levels[int(number)] = level.strip() or "UNKNOWN"
    lines = data.splitlines(keepends=True)
    records = [(levels.get(i + 1, "UNKNOWN"), line, 1) for i, line in enumerate(lines)]
    return _pool(f"loghub-{name}", records)


class Pools:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._cache: dict[str, Pool | None] = {}

    def get(self, name: str) -> Pool | None:
        if name not in self._cache:
            if name.startswith("loghub-"):
                self._cache[name] = loghub_pool(name.removeprefix("loghub-"))
            else:
                self._cache[name] = synthetic_pool(name, self.seed)
        return self._cache[name]

    def available(self, names) -> list[str]:
        return [n for n in names if self.get(n) is not None]


# --------------------------------------------------------------------------------------------
# Writing files by tiling pools


def write_file(path: Path, pool: Pool, nbytes: int, first: int = 0, crlf: bool = False) -> dict:
    """Write about `nbytes` of whole records from `pool`, starting at record `first`."""
    levels = [0] * len(LEVELS)
    lines = records = 0
    remaining, i, n = nbytes, first, pool.records
    starts, block = pool.starts, pool.block
    with open(path, "wb", buffering=0) as f:
        while remaining > 0:
            a = starts[i]
            if a + remaining >= starts[n]:
                j = n
            else:
                j = bisect.bisect_right(starts, a + remaining) - 1
                if j <= i:
                    if records:
                        break
                    j = i + 1  # a file holds at least one record
            chunk = block[a : starts[j]]
            if TOKEN_B in chunk:
                chunk = chunk.replace(
                    TOKEN_B, b"%06d" % ((pool.counter * 104_729 + 4_241) % 1_000_000)
                )
            pool.counter += 1
            if crlf:
                chunk = chunk.replace(b"\n", b"\r\n")
            f.write(chunk)
            got, nl = pool.counts(i, j)
            levels = [x + y for x, y in zip(levels, got, strict=True)]
            lines += nl
            records += j - i
            remaining -= starts[j] - a
            i = 0 if j == n else j
            if j != n:
                break
        size = f.tell()
    return {
        "name": path.name,
        "format": pool.name + ("+crlf" if crlf else ""),
        "bytes": size,
        "lines": lines,
        "records": records,
        "levels": dict(zip(LEVELS, levels, strict=True)),
    }


# --------------------------------------------------------------------------------------------
# Sizes: a size is a list of (file name, pool name, bytes, first record, crlf)

KB, MB = 1000, 1000 * 1000
SYNTHETIC = tuple(FORMATS)
ALL_POOLS = SYNTHETIC + tuple(f"loghub-{n}" for n in LOGHUB_NAMES)


def _log_uniform(rng: random.Random, lo: float, hi: float) -> int:
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _many(rng, pools, count, lo, hi, log=False, prefix=""):
    plan = []
    for k in range(count):
        name = pools[k % len(pools)]
        size = _log_uniform(rng, lo, hi) if log else rng.randint(lo, hi)
        plan.append((f"{prefix}{k:05d}-{name}.log", name, size, rng.randrange(1 << 30), False))
    return plan


def _real_first(names: list[str]) -> list[str]:
    """The real loghub samples first (when present), then the synthetic formats."""
    return [n for n in names if n.startswith("loghub-")] + [
        n for n in names if not n.startswith("loghub-")
    ]


def plan_for(size: str, rng: random.Random, pools: Pools) -> list[tuple]:
    names = pools.available(ALL_POOLS)
    if size == "tiny":
        return [
            (f"{k:03d}-{n}.log", n, rng.randint(30 * KB, 250 * KB), 0, n == "logback")
            for k, n in enumerate(names)
        ]
    if size == "mixed":
        # ~170 MB: every format at several sizes, KB to tens of MB (log-uniform), a few CRLF.
        raw = [(n, _log_uniform(rng, 2 * KB, 40 * MB)) for n in names for _ in range(3)]
        scale = 170 * MB / sum(s for _, s in raw)
        rng.shuffle(raw)
        return [
            (f"{k:03d}-{n}.log", n, min(max(int(s * scale), 2 * KB), 40 * MB),
             rng.randrange(1 << 30), k % 10 == 3)
            for k, (n, s) in enumerate(raw)
        ]  # fmt: skip
    if size == "many":
        return _many(rng, names, 1000, 80 * KB, 120 * KB)
    if size == "many10k":
        return _many(rng, names, 10_000, 1 * KB, 16 * KB, log=True)
    if size == "few":
        # A few large, busy logs (the common case): 20 files of about 9 MB, real samples first.
        return _many(rng, _real_first(names), 20, 8_500 * KB, 9_500 * KB)
    if size == "few200":
        # 200 files of about 9 MB (1.7 GB): the engine against the read limit.
        return _many(rng, _real_first(names), 200, 8_500 * KB, 9_500 * KB)
    if size == "mix":
        # A bit of everything: 3 files of 40 MB, 12 of 5 MB, 600 of 2-200 KB (~250 MB).
        return (
            _many(rng, names, 3, 38 * MB, 42 * MB, prefix="large-")
            + _many(rng, names[3:], 12, 4 * MB, 6 * MB, prefix="medium-")
            + _many(rng, names[5:], 600, 2 * KB, 200 * KB, log=True, prefix="small-")
        )
    if size == "tiny-few":
        return _many(rng, _real_first(names), 4, 800 * KB, 1_200 * KB)
    if size == "tiny-mix":
        return _many(rng, names, 2, 4 * MB, 5 * MB, prefix="large-") + _many(
            rng, names[2:], 60, 2 * KB, 50 * KB, prefix="small-"
        )
    if size == "tiny-many":
        return _many(rng, names, 50, 15 * KB, 25 * KB)
    if size == "tiny-many10k":
        return _many(rng, names, 300, 1 * KB, 8 * KB, log=True)
    single = {"medium": 200 * MB, "big": 2000 * MB, "tiny-medium": 2 * MB, "tiny-big": 20 * MB}
    if size in single:
        return [("app.log", "log4j", single[size], 0, False)]
    raise SystemExit(f"unknown size {size!r}; one of {', '.join(SIZES)}")


SIZES = ("tiny", "mixed", "many", "many10k", "medium", "big", "few", "few200", "mix")
SIZES += ("tiny-many", "tiny-many10k", "tiny-medium", "tiny-big", "tiny-few", "tiny-mix")


def ensure(size: str, out: Path | None = None, seed: int = 1, force: bool = False) -> Path:
    """Generate corpus `size` into `out` (unless an identical one is there); return the dir."""
    out = Path(out) if out else DEFAULT_ROOT / size
    manifest_path = out / "manifest.json"
    key = {"generator": GENERATOR_VERSION, "size": size, "seed": seed, "loghub": LOGHUB.is_dir()}
    if manifest_path.is_file() and not force:
        try:
            old = json.loads(manifest_path.read_text())
            if old.get("key") == key and all(
                (out / f["name"]).is_file() and (out / f["name"]).stat().st_size == f["bytes"]
                for f in old["files"]
            ):
                return out
        except (OSError, ValueError, KeyError):
            pass
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    for stale in out.glob("*.log"):
        stale.unlink()
    pools = Pools(seed)
    rng = random.Random(f"{seed}:{size}")
    files = []
    for name, pool_name, nbytes, first, crlf in plan_for(size, rng, pools):
        pool = pools.get(pool_name)
        assert pool is not None
        files.append(write_file(out / name, pool, nbytes, first % pool.records, crlf))
    if any(f["format"].startswith("loghub-") for f in files):
        (out / "LICENSE-loghub.txt").write_bytes((LOGHUB / "LICENSE").read_bytes())
    totals = dict.fromkeys(LEVELS, 0)
    for f in files:
        for level, c in f["levels"].items():
            totals[level] += c
    manifest = {
        "key": key,
        "files_count": len(files),
        "bytes": sum(f["bytes"] for f in files),
        "lines": sum(f["lines"] for f in files),
        "records": sum(f["records"] for f in files),
        "levels": totals,
        "seconds_to_generate": round(time.perf_counter() - t0, 2),
        "files": files,
    }
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(manifest_path)
    return out


def manifest(corpus_dir: Path) -> dict:
    return json.loads((Path(corpus_dir) / "manifest.json").read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("size", choices=SIZES)
    p.add_argument("--out", type=Path, help="directory (default benchmarks/out/corpus/SIZE)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--force", action="store_true", help="regenerate even if the manifest matches")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    out = ensure(a.size, a.out, a.seed, a.force)
    m = manifest(out)
    print(
        f"{out}: {m['files_count']} files, {m['bytes'] / MB:.1f} MB, {m['lines']} lines, "
        f"{m['records']} records ({time.perf_counter() - t0:.1f} s)"
    )
    print("expected levels:", json.dumps(m["levels"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
