"""The template miner's state in the offset store: read before mining, written in the commit's
transaction, so the templates an event names are committed exactly when its offsets are.

Only what changed since loading (`MinerState.changed`, `changed_paths`) is written: a run that
found no new template writes nothing, however many templates the store holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from logingest_dagster.engine.state.schema import message_templates, template_paths
from logingest_dagster.engine.templates.state import MinerState, Template

if TYPE_CHECKING:
    import pyarrow as pa

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


def mine_event_templates(
    conn: sa.Connection, batches: Sequence[tuple[str, pa.Array]]
) -> list[tuple[pa.DictionaryArray, pa.DictionaryArray]] | None:
    """Each batch's (stream, messages) as its events' (template_id, template) columns, one pair
    per batch in order, each dictionary-encoded over that batch's distinct templates: the run's
    messages mined in one `mine_many` call against the stored state, and what it learnt saved
    within `conn`'s transaction, the commit's.

    None if the miner fails on these messages: the events are then kept without templates and
    nothing of the miner's state is saved, since a message it cannot take must not sink the
    commit of the counts."""
    import numpy as np
    import pyarrow as pa

    from logingest_dagster.engine.templates import TemplateMiner

    sizes = [len(messages) for _, messages in batches]
    if not sum(sizes):
        empty = pa.DictionaryArray.from_arrays(pa.nulls(0, pa.int32()), pa.nulls(0, pa.string()))
        return [(empty, empty) for _ in batches]
    messages = pa.concat_arrays([batch for _, batch in batches])
    miner = TemplateMiner(load_miner_state(conn))
    try:
        mined = miner.mine_many(messages, _PathOfEach([path for path, _ in batches], sizes))
        raw = mined.template_id.indices  # int32, no nulls; not `to_numpy()` (imports pandas)
        codes = np.frombuffer(raw.buffers()[1], np.int32, len(raw), raw.offset * 4)
    except Exception:
        log.exception("template mining failed; this run's events are kept without templates")
        return None
    save_miner_state(conn, miner.state)
    ids, texts = mined.template_id.dictionary, mined.template.dictionary
    out, at = [], 0
    for size in sizes:
        # Each read's own dictionary: only the templates its events name are stored with it.
        used, local = np.unique(codes[at : at + size], return_inverse=True)
        indices = pa.Array.from_buffers(
            pa.int32(), size, [None, pa.py_buffer(local.astype(np.int32))]
        )
        chosen = pa.Array.from_buffers(pa.int32(), len(used), [None, pa.py_buffer(used)])
        out.append(
            (
                pa.DictionaryArray.from_arrays(indices, ids.take(chosen)),
                pa.DictionaryArray.from_arrays(indices, texts.take(chosen)),
            )
        )
        at += size
    return out


class _PathOfEach:
    """The stream of each message of the concatenated batches, by index, without a list of one
    entry per message."""

    def __init__(self, paths: list[str], sizes: list[int]) -> None:
        import numpy as np

        self._paths = paths
        self._ends = np.cumsum(sizes)

    def __getitem__(self, index: int) -> str:
        import numpy as np

        return self._paths[int(np.searchsorted(self._ends, index, side="right"))]

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0
