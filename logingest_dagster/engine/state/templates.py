"""The template miner's state in the offset store: read before mining, written in the commit's
transaction, so the templates an event names are committed exactly when its offsets are.

Only what changed since loading (`MinerState.changed`, `changed_paths`) is written: a run that
found no new template writes nothing, however many templates the store holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from logingest_dagster.engine.state.schema import message_templates, template_paths
from logingest_dagster.engine.templates.state import MinerState, Template

log = logging.getLogger(__name__)

IN_CHUNK = 500  # keys per IN (...) clause: far below any database's bound-parameter limit


def load_miner_state(conn: sa.Connection) -> MinerState:
    state = MinerState()
    for row in conn.execute(sa.select(message_templates)):
        tokens = row.template.split(" ") if row.template else []  # an empty message: no tokens
        state.templates[row.id] = Template(row.id, tokens)
    for row in conn.execute(sa.select(template_paths)):
        state.created_per_path[row.path] = int(row.created)
        state.other_per_path[row.path] = int(row.other)
    return state


def save_miner_state(conn: sa.Connection, state: MinerState) -> None:
    """Write what changed within the caller's transaction, and mark it saved."""
    changed = sorted(state.changed)
    for i in range(0, len(changed), IN_CHUNK):
        ids = changed[i : i + IN_CHUNK]
        conn.execute(sa.delete(message_templates).where(message_templates.c.id.in_(ids)))
        rows = [{"id": id_, "template": state.templates[id_].text} for id_ in ids]
        conn.execute(sa.insert(message_templates), rows)
    paths = sorted(state.changed_paths)
    for i in range(0, len(paths), IN_CHUNK):
        chunk = paths[i : i + IN_CHUNK]
        conn.execute(sa.delete(template_paths).where(template_paths.c.path.in_(chunk)))
        rows = [
            {
                "path": path,
                "created": state.created_per_path.get(path, 0),
                "other": state.other_per_path.get(path, 0),
            }
            for path in chunk
        ]
        conn.execute(sa.insert(template_paths), rows)
    state.changed.clear()
    state.changed_paths.clear()


@dataclass(frozen=True)
class ReadTemplates:
    """One read's events' templates: each event's index into this read's distinct templates
    (`ids`, with their `texts`), so an event row stores a small integer, not two strings."""

    codes: list[int]
    ids: list[str]
    texts: list[str]


def mine_event_templates(
    conn: sa.Connection, batches: Sequence[tuple[str, Sequence[str]]]
) -> list[ReadTemplates] | None:
    """Each batch's (stream, messages) as its `ReadTemplates`, one per batch in order: the run's
    messages mined in one `mine_many` call against the stored state, and what it learnt saved
    within `conn`'s transaction, the commit's.

    None if the miner fails on these messages: the events are then kept without templates and
    nothing of the miner's state is saved, since a message it cannot take must not sink the
    commit of the counts."""
    import numpy as np

    from logingest_dagster.engine.templates import TemplateMiner

    messages = [message for _, batch in batches for message in batch]
    if not messages:
        return [ReadTemplates([], [], []) for _ in batches]
    paths = [path for path, batch in batches for _ in batch]
    miner = TemplateMiner(load_miner_state(conn))
    try:
        mined = miner.mine_many(messages, paths)
        raw = mined.template_id.indices  # int32, no nulls; not `to_numpy()` (imports pandas)
        codes = np.frombuffer(raw.buffers()[1], np.int32, len(raw), raw.offset * 4)
        ids = mined.template_id.dictionary.to_pylist()
        texts = mined.template.dictionary.to_pylist()
    except Exception:
        log.exception("template mining failed; this run's events are kept without templates")
        return None
    save_miner_state(conn, miner.state)
    out, at = [], 0
    for _, batch in batches:
        used, local = np.unique(codes[at : at + len(batch)], return_inverse=True)
        used_list = used.tolist()
        out.append(
            ReadTemplates(
                local.tolist(), [ids[k] for k in used_list], [texts[k] for k in used_list]
            )
        )
        at += len(batch)
    return out
