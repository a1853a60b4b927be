"""The engine: plain Python, no Dagster. One way through, a stage a package:

    discover/  list the configured directories (stat only)
    plan/      which stream each file is, and what to read this run
    scan/      read byte ranges, find each record's level, count, collect events
    state/     the offset store, changed by one transaction per run
    warehouse/ Parquet derived from committed state, and its invariants

`pipeline` is the three step bodies (discover, ingest, commit and publish) that the Dagster ops
and the lifecycle tests share; `levels` is the vocabulary every stage speaks.
"""
