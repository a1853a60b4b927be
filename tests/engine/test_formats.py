"""Every format the engine knows: realistic lines in, exact per-level record counts out.

Each sample also carries lines whose message names another level (`INFO user saw an error`): the
level must come from the format's level field, never from a word in the message.
"""

from __future__ import annotations

import pytest

from logingest_dagster.engine.scan import ScanOptions, scan_range
from logingest_dagster.engine.scan.formats import detect_format, detect_format_exhaustive
from logingest_dagster.engine.scan.records import NOT_RECORD, LineBlock
from tests.helpers import modules_loaded_by


def scan_text(tmp_path, text: str, name: str = "sample.log", **kwargs):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return scan_range(str(path), **kwargs)


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {level: n for level, n in counts.items() if n}


# (lines, expected non-zero counts). One entry per format; every line is one record unless the
# format has continuation lines (Postgres DETAIL, .NET's indented message line).
SAMPLES: dict[str, tuple[str, dict[str, int]]] = {
    "log4j": (
        """\
2026-11-26 12:00:00,123 INFO  [main] com.foo.Bar - user saw an error
2026-11-26 12:00:00,124 WARN  [main] com.foo.Bar - disk 91% full, ERROR soon
2026-11-26 12:00:00,125 ERROR [pool-1-thread-2] com.foo.Bar - request failed
2026-11-26 12:00:00,126 DEBUG [main] com.foo.Bar - cache miss
2026-11-26 12:00:00,127 TRACE [main] com.foo.Bar - entering
2026-11-26 12:00:00,128 FATAL [main] com.foo.Bar - out of memory
2026-11-26 12:00:00,129 INFO  [main] com.foo.Bar - WARN: this is a message word
""",
        {"TRACE": 1, "DEBUG": 1, "INFO": 2, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "logback": (
        """\
12:00:00.123 [main] WARN  c.f.Bar - pool nearly exhausted
12:00:00.124 [RMI TCP Connection(2)-127.0.0.1] INFO  c.f.Bar - user saw an error
12:00:00.125 [main] ERROR c.f.Bar - boom
12:00:00.126 [http-nio-8080-exec-1] DEBUG c.f.Bar - request headers
12:00:00.127 [Finalizer thread] INFO  c.f.Bar - closing, FATAL next
""",
        {"DEBUG": 1, "INFO": 2, "WARN": 1, "ERROR": 1},
    ),
    "spring_boot": (
        """\
2026-11-26T12:00:00.123Z  INFO 1234 --- [           main] c.f.Application  : Started, error=0
2026-11-26T12:00:00.124Z  WARN 1234 --- [nio-8080-exec-1] c.f.Controller   : slow
2026-11-26T12:00:00.125Z ERROR 1234 --- [nio-8080-exec-2] c.f.Controller   : failed
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "python_default": (
        """\
WARNING:root:disk full
INFO:app.db:connected, error count 0
ERROR:__main__:boom
CRITICAL:root:down
DEBUG:urllib3.connectionpool:Starting new HTTPS connection (1): example.com:443
""",
        {"DEBUG": 1, "INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "python_asctime": (
        """\
2026-11-26 12:00:00,123 - myapp - WARNING - disk full
2026-11-26 12:00:00,124 - myapp.db - INFO - user saw an error
2026-11-26 12:00:00,125 - myapp - ERROR - boom
2026-11-26 12:00:00,126 - myapp - CRITICAL - down
2026-11-26 12:00:00,127 - myapp - DEBUG - x
""",
        {"DEBUG": 1, "INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "json": (
        """\
{"level":"info","msg":"user saw an error"}
{"msg":"x","severity":"ERROR","ts":"2026-11-26T12:00:00Z"}
{"ts":1764158400,"lvl":"warn","msg":"y"}
{"@timestamp":"2026-11-26T12:00:00Z","log.level":"debug","message":"z"}
{"@timestamp":"2026-11-26T12:00:00Z","log":{"level":"error","logger":"a"},"message":"q"}
{"level":30,"time":1764158400000,"pid":1,"msg":"pino info"}
{"level":50,"time":1764158400000,"pid":1,"msg":"pino error"}
{"level":60,"time":1764158400000,"pid":1,"msg":"pino fatal"}
{"level":10,"time":1764158400000,"pid":1,"msg":"pino trace"}
{"msg":"got \\"level\\":\\"error\\" from upstream","level":"info"}
{"msg":"no level field, just an error word"}
{"levelname": "WARNING", "name": "x", "message": "y"}
{ "Level" : "Information", "MessageTemplate": "Started {App}" }
""",
        {"TRACE": 1, "DEBUG": 1, "INFO": 4, "WARN": 2, "ERROR": 3, "FATAL": 1, "UNKNOWN": 1},
    ),
    "logfmt": (
        """\
ts=2026-11-26T12:00:00Z level=info msg="user saw an error"
time="2026-11-26T12:00:00Z" level=warn msg="disk 91%"
msg="upstream said level=error" level=info
level=error msg=boom
ts=2026-11-26T12:00:00Z caller=main.go:12 lvl=debug msg="y"
t=2026-11-26T12:00:00+0000 lvl=eror msg="grafana writes eror"
time=2026-11-26T12:00:00.000Z level=INFO msg=hi source=slog
ts=2026-11-26T12:00:00Z level="fatal" msg="quoted level"
""",
        {"DEBUG": 1, "INFO": 3, "WARN": 1, "ERROR": 2, "FATAL": 1},
    ),
    "klog": (
        """\
I1126 12:00:00.000000    1234 main.go:12] started, no error
W1126 12:00:00.000001    1234 main.go:13] slow
E1126 12:00:00.000002    1234 main.go:14] failed
F1126 12:00:00.000003    1234 main.go:15] dying
I1126 12:00:00.000004       1 controller.go:99] Successfully synced "default/web"
""",
        {"INFO": 2, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "logcat_threadtime": (
        """\
11-26 12:00:00.123  1234  5678 I ActivityManager: Start proc, error none
11-26 12:00:00.124  1234  5678 D dalvikvm: GC_CONCURRENT freed 1K
11-26 12:00:00.125  1234  5678 W System.err: warning
11-26 12:00:00.126  1234  5678 E AndroidRuntime: FATAL EXCEPTION: main
11-26 12:00:00.127  1234  5678 V Tag: verbose
11-26 12:00:00.128  1234  5678 F libc: Fatal signal 6 (SIGABRT)
11-26 12:00:00.129  1234  5678 A DEBUG: assertion
""",
        {"TRACE": 1, "DEBUG": 1, "INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 2},
    ),
    "syslog_pri": (
        """\
<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event log entry
<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8
<14>Oct 11 22:14:16 mymachine app[12]: user saw an error
<11>1 2003-10-11T22:14:17Z host app 12 - - error
<12>Oct 11 22:14:18 mymachine app: warning
<15>Oct 11 22:14:19 mymachine app: debug
<8>Oct 11 22:14:20 mymachine kernel: emergency
""",
        {"DEBUG": 1, "INFO": 1, "NOTICE": 1, "WARN": 1, "ERROR": 1, "FATAL": 2},
    ),
    "nginx_error": (
        """\
2026/11/26 12:00:00 [error] 123#0: *1 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 1.2.3.4
2026/11/26 12:00:01 [warn] 123#0: *2 an upstream response is buffered to a temporary file
2026/11/26 12:00:02 [notice] 123#0: signal process started
2026/11/26 12:00:03 [crit] 123#0: *3 SSL_do_handshake() failed
2026/11/26 12:00:04 [info] 123#0: *4 client closed connection, error ignored
2026/11/26 12:00:05 [emerg] 123#0: bind() to 0.0.0.0:80 failed (98: Address already in use)
2026/11/26 12:00:06 [alert] 123#0: worker process 124 exited on signal 9
2026/11/26 12:00:07 [debug] 123#0: *5 http cleanup
""",
        {"DEBUG": 1, "INFO": 1, "NOTICE": 1, "WARN": 1, "ERROR": 1, "FATAL": 3},
    ),
    "apache_2.2_and_2.4": (
        """\
[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test
[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] AH00128: File does not exist: /usr/local/apache2/htdocs/favicon.ico
[Thu Nov 26 12:00:00.000000 2026] [mpm_event:notice] [pid 1:tid 140] AH00489: Apache/2.4.58 configured -- resuming normal operations
[Thu Nov 26 12:00:00.000001 2026] [ssl:crit] [pid 1:tid 140] AH01: error while reading
[Thu Nov 26 12:00:00.000002 2026] [core:warn] [pid 1:tid 140] AH00098: pid file overwritten
[Thu Nov 26 12:00:00.000003 2026] [:error] [pid 1] [client 1.2.3.4:5] PHP Warning:  x in y
[Thu Nov 26 12:00:00.000004 2026] [authz_core:debug] [pid 1:tid 140] mod_authz_core.c(820): granted
[Thu Nov 26 12:00:00.000005 2026] [core:trace3] [pid 1:tid 140] request.c(311): x
[Thu Nov 26 12:00:00.000006 2026] [proxy:info] [pid 1:tid 140] AH00: error rate normal
""",
        {"TRACE": 1, "DEBUG": 1, "INFO": 1, "NOTICE": 2, "WARN": 1, "ERROR": 3, "FATAL": 1},
    ),
    "ruby_logger": (
        """\
E, [2026-11-26T12:00:00.123456 #1234] ERROR -- app: msg
I, [2026-11-26T12:00:00.123456 #1234]  INFO -- : info mentioning an error
W, [2026-11-26T12:00:00.123456 #1234]  WARN -- app: w
D, [2026-11-26T12:00:00.123456 #1234] DEBUG -- app: d
F, [2026-11-26T12:00:00.123456 #1234] FATAL -- app: f
A, [2026-11-26T12:00:00.123456 #1234]   ANY -- app: any is no level
""",
        {"DEBUG": 1, "INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 1, "UNKNOWN": 1},
    ),
    "windows_cbs": (
        """\
2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\cbscore.dll
2016-09-28 04:30:31, Info                  CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize (wcp.dll version 0.0.0.6) called (stack @0x7fed806eb5d)
2016-09-28 04:30:31, Warning               CBS    Failed to get next element [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]
2016-09-28 04:30:32, Error                 CBS    Failed to process single phase execution. [HRESULT = 0x800f0816]
2016-09-28 04:30:33, Info                  CBS    Error count reset
""",
        {"INFO": 3, "WARN": 1, "ERROR": 1},
    ),
    "hdfs": (
        """\
081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating
081109 203807 222 INFO dfs.DataNode$PacketResponder: Exception in receiveBlock for block blk_1 java.io.IOException: error
081109 204005 35 WARN dfs.DataNode$DataXceiver: 10.251.30.85:50010:Got exception while serving blk_2
081109 204015 308 INFO dfs.DataNode$PacketResponder: Received block blk_3 of size 67108864
""",
        {"INFO": 3, "WARN": 1},
    ),
    "hadoop": (
        """\
2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster
2015-10-18 18:01:48,963 WARN [main] org.apache.hadoop.util.NativeCodeLoader: Unable to load native-hadoop library
2015-10-18 18:01:49,000 ERROR [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator: ERROR IN CONTACTING RM.
2015-10-18 18:01:50,000 FATAL [IPC Server handler 5 on 62270] org.apache.hadoop.mapred.TaskAttemptListenerImpl: Task: attempt_1 - exited
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "zookeeper": (
        """\
2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200
2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving thread
2015-07-29 19:04:29,079 - ERROR [LearnerHandler-/10.10.34.11:52225:LearnerHandler@562] - Unexpected exception causing shutdown while sock still open
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "spark": (
        """\
17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]
17/06/09 20:10:41 WARN util.NativeCodeLoader: Unable to load native-hadoop library
17/06/09 20:10:42 ERROR executor.Executor: Exception in task 0.0 in stage 1.0 (TID 1)
java.lang.RuntimeException: boom
\tat org.apache.spark.rdd.RDD.iterator(RDD.scala:287)
\tat org.apache.spark.scheduler.Task.run(Task.scala:99)
17/06/09 20:10:43 INFO storage.BlockManager: Removing RDD 3, error count 0
""",
        {"INFO": 2, "WARN": 1, "ERROR": 1},
    ),
    "openstack": (
        """\
nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b - - -] 10.11.10.1 "GET /v2/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829
nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:04.500 2931 WARNING nova.compute.manager [req-1 - - -] While synchronizing instance power states, found 0 instances
nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:05.500 2931 ERROR nova.compute.manager [req-2 - - -] Instance failed to spawn
nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:06.500 2931 INFO nova.compute.claims [req-3 - - -] Total memory: 64172 MB, error margin 0
""",
        {"INFO": 2, "WARN": 1, "ERROR": 1},
    ),
    "bgl": (
        """\
- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected
- 1117869872 2005.06.04 R23-M1-N8-I:J18-U11 2005-06-04-00.24.32.398284 R23-M1-N8-I:J18-U11 RAS APP FATAL ciod: failed to read message prefix on control stream
KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt
- 1118771128 2005.06.14 R04-M1-N4-I:J18-U11 2005-06-14-10.45.28.105069 R04-M1-N4-I:J18-U11 RAS APP WARNING ciod: Z coordinate 2 exceeds physical dimension
- 1118771129 2005.06.14 R04-M1-N4-I:J18-U11 2005-06-14-10.45.29.105069 R04-M1-N4-I:J18-U11 RAS KERNEL SEVERE machine check interrupt
- 1118771130 2005.06.14 NULL 2005-06-14-10.45.30.105069 NULL RAS MMCS ERROR idoproxydb hit ASSERT condition
- 1118771131 2005.06.14 NULL 2005-06-14-10.45.31.105069 NULL RAS BGLMASTER FAILURE ciodb exited abnormally due to signal: Aborted
""",
        # BGL's FAILURE is the top of its scale (above FATAL): FATAL.
        {"INFO": 1, "WARN": 1, "ERROR": 2, "FATAL": 3},
    ),
    "postgres": (
        """\
2026-11-26 12:00:00.123 UTC [1234] LOG:  database system is ready to accept connections
2026-11-26 12:00:01.123 UTC [1235] ERROR:  duplicate key value violates unique constraint "users_pkey"
2026-11-26 12:00:01.123 UTC [1235] DETAIL:  Key (id)=(1) already exists.
2026-11-26 12:00:01.123 UTC [1235] STATEMENT:  INSERT INTO users VALUES (1)
2026-11-26 12:00:02.123 UTC [1236] WARNING:  there is no transaction in progress
2026-11-26 12:00:03.123 UTC [1237] FATAL:  password authentication failed for user "x"
2026-11-26 12:00:04.123 UTC [1238] PANIC:  could not write to file "pg_wal/xlogtemp.1"
2026-11-26 12:00:05.123 UTC [1239] DEBUG1:  checkpoint starting: time
2026-11-26 12:00:05.123 UTC [1239] NOTICE:  relation "t" already exists, skipping
2026-11-26 12:00:05.123 UTC [1239] INFO:  vacuuming "public.t", error count 0
2026-11-26 12:00:06.123 UTC [1240] LOG:  statement: SELECT 1
\t  FROM generate_series(1, 10)
""",
        {"DEBUG": 1, "INFO": 3, "NOTICE": 1, "WARN": 1, "ERROR": 1, "FATAL": 2},
    ),
    # Formats nobody listed.
    "laravel_monolog": (
        """\
[2026-11-26 12:00:00] production.ERROR: Call to undefined method {"exception":"[object] (Error(code: 0))"} []
[2026-11-26 12:00:01] local.INFO: User logged in, error count 0 {"user":1} []
[2026-11-26 12:00:02] production.WARNING: slow query [] []
[2026-11-26T12:00:03.123456+00:00] app.CRITICAL: down [] []
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "zap_console": (
        "2026-11-26T12:00:00.000Z\tINFO\tserver/main.go:12\tuser saw an error\n"
        "2026-11-26T12:00:00.001Z\tWARN\tserver/main.go:13\tslow\n"
        "2026-11-26T12:00:00.002Z\tERROR\tserver/main.go:14\tfailed\n"
        "2026-11-26T12:00:00.003Z\tDEBUG\tserver/main.go:15\tx\n",
        {"DEBUG": 1, "INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "dotnet_console": (
        """\
info: Microsoft.Hosting.Lifetime[14]
      Now listening on: http://localhost:5000
warn: Microsoft.AspNetCore.HttpsPolicy.HttpsRedirectionMiddleware[3]
      Failed to determine the https port for redirect.
fail: Microsoft.AspNetCore.Server.Kestrel[13]
      Connection id "0HN", Request id "0HN:1": An unhandled exception was thrown by the application.
      System.InvalidOperationException: error
         at Program.<Main>b__0_0() in /src/Program.cs:line 12
dbug: Microsoft.Extensions.Hosting.Internal.Host[1]
      Hosting starting
crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]
      Application startup exception
""",
        {"DEBUG": 1, "INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "cri_json": (
        """\
2026-11-26T12:00:00.100000000Z stdout F {"level":"info","msg":"user saw an error"}
2026-11-26T12:00:00.200000000Z stderr F {"level":"error","msg":"boom"}
2026-11-26T12:00:00.300000000Z stdout F {"msg":"x","level":"warn"}
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "cri_klog": (
        """\
2026-11-26T12:00:00.100000000Z stderr F I1126 12:00:00.100000       1 leaderelection.go:248] attempting to acquire lease, no error
2026-11-26T12:00:00.200000000Z stderr F E1126 12:00:00.200000       1 leaderelection.go:330] error retrieving resource lock
""",
        {"INFO": 1, "ERROR": 1},
    ),
    "syslog_json": (
        """\
Nov 26 12:00:00 web-1 app[123]: {"level":"error","msg":"boom"}
Nov 26 12:00:01 web-1 app[123]: {"level":"info","msg":"user saw an error"}
Nov 26 12:00:02 web-1 app[123]: {"level":"info","msg":"ok"}
""",
        {"INFO": 2, "ERROR": 1},
    ),
    "compose_logfmt": (
        """\
api-1  | time=2026-11-26T12:00:00Z level=info msg="user saw an error"
api-1  | time=2026-11-26T12:00:01Z level=error msg=boom
db-1   | time=2026-11-26T12:00:02Z level=warn msg=slow
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "elasticsearch": (
        """\
[2026-11-26T12:00:00,123][INFO ][o.e.n.Node               ] [node-1] started, no error
[2026-11-26T12:00:01,123][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark
[2026-11-26T12:00:02,123][ERROR][o.e.b.Bootstrap          ] [node-1] node validation exception
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "redis": (
        """\
1:C 26 Nov 2026 12:00:00.123 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
1:M 26 Nov 2026 12:00:00.124 * Ready to accept connections tcp
1:M 26 Nov 2026 12:00:00.125 . DB 0: 1 keys (0 volatile)
1:M 26 Nov 2026 12:00:00.126 - Accepted 127.0.0.1:6379, error none
""",
        {"TRACE": 1, "DEBUG": 1, "NOTICE": 1, "WARN": 1},
    ),
    "mysql": (
        """\
2026-11-26T12:00:00.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.
2026-11-26T12:00:00.123457Z 0 [Note] [MY-010051] [Server] Event Scheduler: scheduler thread started, error 0
2026-11-26T12:00:00.123458Z 5 [ERROR] [MY-010584] [Repl] Slave SQL for channel '': Error executing row event
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "loguru": (
        """\
2026-11-26 12:00:00.123 | INFO     | __main__:<module>:12 - user saw an error
2026-11-26 12:00:00.124 | WARNING  | app.db:connect:40 - retrying
2026-11-26 12:00:00.125 | ERROR    | app.db:connect:41 - failed
2026-11-26 12:00:00.126 | SUCCESS  | app:main:9 - done
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1, "UNKNOWN": 1},
    ),
    "maven": (
        """\
[INFO] Scanning for projects...
[INFO] Building demo 1.0-SNAPSHOT, 0 errors so far
[WARNING] Using platform encoding (UTF-8 actually) to copy filtered resources
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.8.1:compile
""",
        {"INFO": 2, "WARN": 1, "ERROR": 1},
    ),
    "rust_env_logger": (
        """\
[2026-11-26T12:00:00Z INFO  my_app] starting, error budget 0
[2026-11-26T12:00:01Z WARN  my_app::db] slow query
[2026-11-26T12:00:02Z ERROR my_app] failed
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "rust_tracing": (
        """\
2026-11-26T12:00:00.123456Z  INFO my_app: starting, error budget 0
2026-11-26T12:00:01.123456Z  WARN my_app::db: slow query
2026-11-26T12:00:02.123456Z ERROR my_app: failed
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "serilog_console": (
        """\
[12:00:00 INF] Starting web host, error count 0
[12:00:01 WRN] Slow request
[12:00:02 ERR] Unhandled exception
[12:00:03 FTL] Host terminated unexpectedly
[12:00:04 DBG] x
[12:00:05 VRB] y
""",
        {"TRACE": 1, "DEBUG": 1, "INFO": 1, "WARN": 1, "ERROR": 1, "FATAL": 1},
    ),
    "uvicorn": (
        """\
INFO:     Started server process [1234]
INFO:     127.0.0.1:5000 - "GET /error HTTP/1.1" 200 OK
WARNING:  StatReload detected changes in 'app.py'. Reloading...
ERROR:    Exception in ASGI application
""",
        {"INFO": 2, "WARN": 1, "ERROR": 1},
    ),
    "java_util_logging": (
        """\
Nov 26, 2026 12:00:00 PM org.apache.catalina.startup.Catalina start
INFO: Server startup in 1234 ms, 0 errors
Nov 26, 2026 12:00:01 PM org.apache.catalina.core.StandardContext reload
WARNING: Reloading context [/app]
Nov 26, 2026 12:00:02 PM org.apache.catalina.core.StandardWrapperValve invoke
SEVERE: Servlet.service() for servlet [jsp] threw exception
java.lang.NullPointerException
\tat org.apache.jsp.index_jsp._jspService(index_jsp.java:12)
""",
        {"INFO": 1, "WARN": 1, "ERROR": 1},
    ),
    "go_log_plain": (
        """\
2026/11/26 12:00:00 server started, error budget 0
2026/11/26 12:00:01 GET /healthz 200
""",
        {"UNKNOWN": 2},
    ),
    "syslog_no_level": (
        """\
Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4
Dec 10 06:55:46 LabSZ sshd[24200]: error: Received disconnect from 1.2.3.4: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]
Dec 10 06:55:47 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186
""",
        {"UNKNOWN": 3},
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_format_counts(tmp_path, name, token_engine):
    text, expected = SAMPLES[name]
    result = scan_text(tmp_path, text)
    assert result.error is None
    assert nonzero(result.counts) == expected, result.format
    assert result.lines == text.count("\n")
    assert result.end == len(text.encode())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_format_counts_with_crlf_and_no_final_newline(tmp_path, name, token_engine):
    text, expected = SAMPLES[name]
    crlf = text.replace("\n", "\r\n").removesuffix("\r\n")
    result = scan_text(tmp_path, crlf)
    assert nonzero(result.counts) == expected, result.format
    assert result.end == len(crlf.encode())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_detection_shortcuts_agree_with_scoring_every_candidate(name):
    text, _ = SAMPLES[name]
    data = text.encode()
    lines = _lines(data)
    is_record = _records(lines)
    assert detect_format(lines, is_record).name == detect_format_exhaustive(lines, is_record).name


def test_level_is_taken_from_the_field_not_the_message(tmp_path):
    text = "".join(
        f"2026-11-26 12:00:0{i},000 INFO [main] c.f.Bar - user saw an error, WARN FATAL\n"
        for i in range(5)
    )
    assert nonzero(scan_text(tmp_path, text).counts) == {"INFO": 5}


def test_level_words_are_case_insensitive(tmp_path):
    text = (
        "2026-11-26 12:00:00 info a\n2026-11-26 12:00:00 Warning b\n2026-11-26 12:00:00 eRRoR c\n"
    )
    assert nonzero(scan_text(tmp_path, text).counts) == {"INFO": 1, "WARN": 1, "ERROR": 1}


def test_single_letters_are_no_level_outside_letter_formats(tmp_path):
    # `E` in a column is not a level: only klog/glog, logcat and Ruby put letters there.
    text = "2026-11-26 12:00:00 E something\n2026-11-26 12:00:01 I else\n"
    assert nonzero(scan_text(tmp_path, text).counts) == {"UNKNOWN": 2}


def test_format_is_detected_per_file(tmp_path):
    a = scan_text(tmp_path, SAMPLES["klog"][0], "a.log")
    b = scan_text(tmp_path, SAMPLES["json"][0], "b.log")
    assert (a.format, b.format) == ("klog", "json")


def test_mostly_unexplained_file_is_plain(tmp_path):
    # One level-looking line in four is not a format: the file has no level field.
    text = "hello there\nINFO: something\ngeneral kenobi\nyou are a bold one\n"
    result = scan_text(tmp_path, text)
    assert result.format == "plain"
    assert nonzero(result.counts) == {"UNKNOWN": 4}


def test_lines_that_do_not_fit_the_detected_format_are_unknown(tmp_path):
    text = (
        "2026-11-26 12:00:00,000 INFO [main] a - x\n"
        "2026-11-26 12:00:01,000 WARN [main] a - y\n"
        "2026-11-26 12:00:02,000 ERROR [main] a - z\n"
        "some stray output printed to stdout\n"
    )
    assert nonzero(scan_text(tmp_path, text).counts) == {
        "INFO": 1,
        "WARN": 1,
        "ERROR": 1,
        "UNKNOWN": 1,
    }


def test_custom_level_pattern_overrides_detection(tmp_path):
    text = "2026|WARN|disk\n2026|E|boom\n2026|info|ok\nno pipes here\n"
    options = ScanOptions(level_pattern=r"\d+\|(?P<level>\w+)\|")
    result = scan_text(tmp_path, text, options=options)
    assert result.format == "custom"
    assert nonzero(result.counts) == {"INFO": 1, "WARN": 1, "ERROR": 1, "UNKNOWN": 1}


def test_custom_level_pattern_without_group_is_an_error_not_a_crash(tmp_path):
    result = scan_text(tmp_path, "x\n", options=ScanOptions(level_pattern=r"\w+"))
    assert result.error is not None and "level" in result.error


def test_json_nested_level_keys_prefer_the_first(tmp_path):
    # The first level key in the line is the record's: an outer key written first wins over a
    # nested one, and a nested `log.level` counts when it is the only one.
    text = (
        '{"level":"warn","ctx":{"level":"debug"}}\n'
        '{"log":{"level":"error"},"msg":"x"}\n'
        '{"level":"info","msg":"x","level_hint":"error"}\n'
    )
    assert nonzero(scan_text(tmp_path, text).counts) == {"INFO": 1, "WARN": 1, "ERROR": 1}


def test_monolog_and_gelf_numeric_levels(tmp_path):
    text = '{"message":"a","level":400}\n{"message":"b","level":200}\n{"short_message":"c","level":3}\n'
    assert nonzero(scan_text(tmp_path, text).counts) == {"INFO": 1, "ERROR": 2}


def test_journald_json_priority(tmp_path):
    text = (
        '{"__REALTIME_TIMESTAMP":"1","PRIORITY":"6","MESSAGE":"started, no error"}\n'
        '{"__REALTIME_TIMESTAMP":"2","PRIORITY":"3","MESSAGE":"failed"}\n'
    )
    assert nonzero(scan_text(tmp_path, text).counts) == {"INFO": 1, "ERROR": 1}


def _lines(data: bytes):
    import numpy as np

    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    return LineBlock.from_buffer(memoryview(data), newlines).lines


def _records(lines):
    import pyarrow.compute as pc

    blank_or_trace = pc.match_substring_regex(lines, NOT_RECORD)
    indented = pc.match_substring_regex(lines, r"^[ \t]")
    return pc.invert(pc.or_(blank_or_trace, indented))


def test_column_scoring_matches_the_re2_column_patterns():
    # Detection scores columns from a Python split of each line; the scan extracts with RE2.
    # On lines mixing brackets, prefixes and separators, both must count the same lines.
    import random

    import pyarrow as pa

    from logingest_dagster.engine.scan.formats import (
        _COLUMN_SPECS,
        COLUMNS,
        PLAIN,
        _arrow_hits,
        _best_column,
        _column_hits,
    )

    pieces = [
        "2026-11-26", "12:00:00,001", "INFO", "warn", "[error]", "[core:crit]", "x.ERROR:",
        "LOG:", "DETAIL:", "[main]", "[RMI", "TCP", "Conn(2)]", "[unclosed", "msg", "|", "[",
        "INFO]", "(DEBUG)", "<notice>", "Info,", "INFO:root:x", "-", "1234", "a]b", "[a][b",
        "c]", "FAILURE", "e.g.", "\tWARN",
    ]  # fmt: skip
    rng = random.Random(7)
    lines = []
    for _ in range(400):
        fields = rng.choices(pieces, k=rng.randint(1, 12))
        lines.append((" ".join(fields) + "\n").encode())
    hits = _column_hits(lines)
    array = pa.array(lines, pa.large_binary())
    for fmt in COLUMNS:
        assert hits[fmt.name] == _arrow_hits(fmt, array), fmt.name
    assert [fmt for fmt, _, _ in _COLUMN_SPECS] == list(COLUMNS)
    # Picking the best column with shortcuts gives what scoring each in turn gives.
    for n in (10, 30, 100, 400):
        sample = lines[:n]
        counts = _column_hits(sample)
        for floor in (0, n // 4, n // 2):
            want, want_hits = PLAIN, floor
            for fmt in COLUMNS:
                if counts[fmt.name] > want_hits:
                    want, want_hits = fmt, counts[fmt.name]
            assert _best_column(sample, PLAIN, floor) == (want, want_hits)


def test_a_logfmt_file_with_quoted_equals_signs_does_not_load_pandas(tmp_path):
    # Lines whose quoted values hold `=` fall outside the fast pattern's guard; their tokens are
    # nulled with a null scalar, and `pa.scalar(None, type)` would import pandas (~0.2 s).
    log = tmp_path / "app.log"
    log.write_text(
        'ts=1 level=info msg="a=b"\n' * 100 + 'ts=2 msg="x level=debug" level=warn\n' * 100
    )
    loaded = modules_loaded_by(
        "from logingest_dagster.engine.scan.range_scanner import scan_range\n"
        f"result = scan_range({str(log)!r})\n"
        "assert result.format == 'logfmt', result.format\n"
        "assert result.counts['INFO'] == 100 and result.counts['WARN'] == 100, result.counts"
    )
    assert "pyarrow" in loaded
    assert "pandas" not in loaded
