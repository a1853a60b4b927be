"""The template miner's state in the offset store: read before mining, written in the commit's
transaction, so the templates an event names are committed exactly when its offsets are.

Only what changed since loading (`MinerState.changed`, `changed_paths`) is written: a run that
found no new template writes nothing, however many templates the store holds.
"""

from __future__ import annotations

import sqlalchemy as sa

from logingest_dagster.engine.state.schema import message_templates, template_paths
from logingest_dagster.engine.templates.state import MinerState, Template

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
