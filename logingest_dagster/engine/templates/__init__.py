"""Message templates: which logging statement wrote each message (`TemplateMiner`), with ids that
stay the same across runs and restarts once its state (`MinerState`) is kept in the offset store."""

from logingest_dagster.engine.templates.masking import WILDCARD, mask, masked, masked_all
from logingest_dagster.engine.templates.miner import (
    MAX_TEMPLATES_PER_PATH,
    OTHER_ID,
    OTHER_TEMPLATE,
    Mined,
    MinedColumns,
    MinerState,
    Template,
    TemplateMiner,
)

__all__ = [
    "MAX_TEMPLATES_PER_PATH",
    "OTHER_ID",
    "OTHER_TEMPLATE",
    "WILDCARD",
    "Mined",
    "MinedColumns",
    "MinerState",
    "Template",
    "TemplateMiner",
    "mask",
    "masked",
    "masked_all",
]
