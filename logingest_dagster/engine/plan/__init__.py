"""Planning: which stream each file is (identity, fingerprints, rotation), and what to read this run."""

from logingest_dagster.engine.plan.identity import (
    FileIdentity,
    Fingerprint,
    fingerprint_of,
    identify,
    read_head,
    try_read_head,
)
from logingest_dagster.engine.plan.packing import pack_balanced
from logingest_dagster.engine.plan.planner import plan_reads
from logingest_dagster.engine.plan.read_plan import (
    Checkpoint,
    Expectation,
    FileRead,
    Forget,
    Plan,
    ReadTask,
    TaskKind,
)
from logingest_dagster.engine.plan.steps import plan_steps

__all__ = [
    "Checkpoint",
    "Expectation",
    "FileIdentity",
    "FileRead",
    "Fingerprint",
    "Forget",
    "Plan",
    "ReadTask",
    "TaskKind",
    "fingerprint_of",
    "identify",
    "pack_balanced",
    "plan_reads",
    "plan_steps",
    "read_head",
    "try_read_head",
]
