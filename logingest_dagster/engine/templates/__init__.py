"""Message templates: which logging statement wrote each message (`TemplateMiner`), with ids that
stay the same across runs and restarts once its state (`MinerState`) is kept in the offset store.

The public names load on first use (PEP 562): the offset store names the state types, and
importing them must not pull numpy and pyarrow into a process that never mines.
"""

from logingest_dagster.engine.lazy import lazy_exports

_PUBLIC = {
    "WILDCARD": "logingest_dagster.engine.templates.masking",
    "mask": "logingest_dagster.engine.templates.masking",
    "masked": "logingest_dagster.engine.templates.masking",
    "masked_all": "logingest_dagster.engine.templates.masking",
    "MAX_TEMPLATES_PER_PATH": "logingest_dagster.engine.templates.miner",
    "OTHER_ID": "logingest_dagster.engine.templates.miner",
    "OTHER_TEMPLATE": "logingest_dagster.engine.templates.miner",
    "Mined": "logingest_dagster.engine.templates.miner",
    "MinedColumns": "logingest_dagster.engine.templates.miner",
    "TemplateMiner": "logingest_dagster.engine.templates.miner",
    "MinerState": "logingest_dagster.engine.templates.state",
    "Template": "logingest_dagster.engine.templates.state",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_exports(__name__, _PUBLIC)
