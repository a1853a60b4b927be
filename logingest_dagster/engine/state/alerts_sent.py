"""Alert claims: the rows of `alerts_sent`, so that each alert (rule, subject, window) goes out once.

A run claims its alerts in a write transaction (the store's writers are serialized), so of two
runs that find the same alert, overlapping or one after the other, exactly one claims it. A claim
is settled as delivered, or failed: a failed alert (receiver down or slow), or a claim whose run
died before settling it, is taken over by a later run and sent again, never by two runs at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import sqlalchemy as sa

from logingest_dagster.engine.state.schema import alerts_sent

CLAIMED, DELIVERED, FAILED = "claimed", "delivered", "failed"
# A claim not settled this long after it was made belongs to a run that died: take it over.
STALE_CLAIM_SECONDS = 600.0


class AlertKey(NamedTuple):
    rule: str
    subject: str  # the stream's path, or a key naming a run problem
    window_start: int  # epoch minute


def claim(
    conn: sa.Connection, run_id: str, payloads: Mapping[AlertKey, str], now: float
) -> list[AlertKey]:
    """Claim the alerts no run has claimed yet (and those this run claimed but did not settle:
    its step is running again); return them. `payloads` maps each to its JSON body."""
    claimed = []
    for key, payload in payloads.items():
        row = conn.execute(sa.select(alerts_sent).where(*_is(key))).mappings().first()
        if row is None:
            conn.execute(
                sa.insert(alerts_sent).values(
                    **key._asdict(),
                    run_id=run_id,
                    claimed_at=now,
                    status=CLAIMED,
                    attempts=0,
                    payload=payload,
                )  # fmt: skip
            )
        elif not (row["run_id"] == run_id and row["status"] == CLAIMED):
            continue
        claimed.append(key)
    return claimed


def take_over(
    conn: sa.Connection, run_id: str, now: float, oldest: float
) -> list[tuple[AlertKey, str]]:
    """The alerts left failed, or claimed by a run that died, since `oldest`: now this run's."""
    stale = now - STALE_CLAIM_SECONDS
    unsettled = (alerts_sent.c.status == FAILED) | (
        (alerts_sent.c.status == CLAIMED) & (alerts_sent.c.claimed_at < stale)
    )
    rows = conn.execute(
        sa.select(alerts_sent).where(unsettled, alerts_sent.c.claimed_at >= oldest)
    ).mappings()
    taken = [(AlertKey(r["rule"], r["subject"], r["window_start"]), r["payload"]) for r in rows]
    for key, _ in taken:
        conn.execute(
            sa.update(alerts_sent)
            .where(*_is(key))
            .values(run_id=run_id, status=CLAIMED, claimed_at=now)
        )
    return taken


def settle(conn: sa.Connection, outcomes: Iterable[tuple[AlertKey, bool]]) -> None:
    """Record each claimed alert as delivered (True) or failed (False) after one more attempt."""
    for key, delivered in outcomes:
        conn.execute(
            sa.update(alerts_sent)
            .where(*_is(key))
            .values(status=DELIVERED if delivered else FAILED, attempts=alerts_sent.c.attempts + 1)
        )


def _is(key: AlertKey) -> list:
    return [
        alerts_sent.c.rule == key.rule,
        alerts_sent.c.subject == key.subject,
        alerts_sent.c.window_start == key.window_start,
    ]
