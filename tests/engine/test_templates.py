"""The template miner: variable parts masked, ids stable across runs and restarts, memory bounded."""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import sqlalchemy as sa

from benchmarks import loghub_templates as loghub
from logingest_dagster.engine.state import (
    SCHEMA_VERSION,
    OffsetStore,
    default_state_url,
    load_miner_state,
    open_store,
    save_miner_state,
)
from logingest_dagster.engine.templates import OTHER_ID, TemplateMiner, mask, masked
from logingest_dagster.engine.templates.masking import masked_array, string_array


def test_numbers_ips_and_ids_glued_to_words_are_variable_keys_are_not():
    assert mask("connection 10.0.3.7 refused after 3012 ms rhost=host9 in blk_-1608") == [
        "connection",
        "<*>",
        "refused",
        "after",
        "<*>",
        "ms",
        "rhost=<*>",
        "in",
        "<*>",
    ]


def test_a_run_of_values_is_one_value_whatever_its_length():
    three = mask("delete blk_1 blk_2 blk_3 at 12:00:01 2005-01-02 now")
    assert three == mask("delete blk_1 at Sun Jul 17 12:00:01 2005 now")
    assert three == ["delete", "<*>", "at", "<*>", "now"]


def test_messages_from_one_statement_share_an_id_and_template():
    miner = TemplateMiner()
    a = miner.mine("connection 10.0.3.7 refused after 3012 ms")
    b = miner.mine("connection 10.0.9.1 refused after 41 ms")
    other = miner.mine("connection 10.0.9.1 accepted")
    assert a == b
    assert a.template == "connection <*> refused after <*> ms"
    assert other.template_id != a.template_id


def test_a_word_argument_is_generalised_and_the_template_keeps_its_id():
    miner = TemplateMiner()
    first = miner.mine("Invalid user webmaster from 173.234.31.186 port 22")
    second = miner.mine("Invalid user oracle from 10.0.0.1 port 22")
    assert second.template_id == first.template_id
    assert second.template == "Invalid user <*> from <*> port <*>"
    assert miner.mine("Invalid user webmaster from 1.1.1.1 port 2") == second


def test_the_same_messages_get_the_same_ids_in_another_process():
    messages = ["disk /dev/sda1 full", "user bob logged in from 10.0.0.1", "disk /dev/sdb2 full"]
    one, two = TemplateMiner(), TemplateMiner()
    assert [one.mine(m) for m in messages] == [two.mine(m) for m in messages]


def test_ids_survive_a_restart_through_the_offset_store(tmp_path):
    miner = TemplateMiner()
    before = {m: miner.mine(m, "/logs/a.log") for m in ("job 17 started", "job 17 failed: disk")}
    with open_store(tmp_path) as store, store.engine.begin() as conn:
        save_miner_state(conn, miner.state)
    with open_store(tmp_path) as store, store.engine.begin() as conn:
        restarted = TemplateMiner(load_miner_state(conn))
    for message, mined in before.items():
        assert restarted.mine(message.replace("17", "18"), "/logs/a.log") == mined


def test_saving_writes_only_what_changed(tmp_path):
    miner = TemplateMiner()
    miner.mine("job 1 started", "/a.log")
    with open_store(tmp_path) as store:
        with store.engine.begin() as conn:
            save_miner_state(conn, miner.state)
            conn.execute(sa.text("UPDATE message_templates SET template = 'kept'"))
        miner.mine("job 2 started", "/a.log")  # matches: nothing changes
        with store.engine.begin() as conn:
            save_miner_state(conn, miner.state)
            assert conn.execute(sa.text("SELECT template FROM message_templates")).all() == [
                ("kept",)
            ]


def test_past_the_cap_a_file_new_messages_go_to_other_and_are_counted(tmp_path):
    miner = TemplateMiner(max_templates_per_path=2)
    for i, word in enumerate(("alpha", "beta", "gamma", "delta")):
        miner.mine(f"{word} happened", "/noisy.log")
        assert (miner.mine(f"{word} happened", "/noisy.log").template_id == OTHER_ID) == (i >= 2)
    assert miner.mine("alpha happened", "/noisy.log").template_id != OTHER_ID  # known: matched
    assert miner.mine("epsilon happened", "/quiet.log").template_id != OTHER_ID  # per file
    assert miner.state.other_per_path == {"/noisy.log": 4}
    with open_store(tmp_path) as store, store.engine.begin() as conn:
        save_miner_state(conn, miner.state)
        loaded = load_miner_state(conn)
    assert loaded.other_per_path["/noisy.log"] == 4
    assert loaded.created_per_path == {"/noisy.log": 2, "/quiet.log": 1}


def test_a_version_6_store_gains_the_template_tables_and_keeps_its_data(tmp_path):
    with open_store(tmp_path):
        pass
    db = tmp_path / "state" / "offsets.db"
    with sqlite3.connect(db) as conn:  # as logingest before templates left it
        conn.execute("DROP TABLE message_templates")
        conn.execute("DROP TABLE template_paths")
        conn.execute("DROP TABLE alerts_sent")  # version 8's
        conn.execute("DROP TABLE files_read")  # version 9's
        conn.execute("ALTER TABLE pending_events DROP COLUMN batch")  # version 10's
        conn.execute("UPDATE schema_version SET version = 6")
        conn.execute("UPDATE write_lock SET writes = 41")
    with OffsetStore(default_state_url(tmp_path)) as store, store.engine.begin() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert {"message_templates", "template_paths"} <= tables
        assert (
            conn.execute(sa.text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION
        )
        assert conn.execute(sa.text("SELECT writes FROM write_lock")).scalar() >= 41
        assert {"pending_events", "pending_minutes", "expired", "published"} <= tables  # kept


def test_a_batch_gets_the_ids_one_at_a_time_mining_gives():
    messages = [
        "Invalid user webmaster from 173.234.31.186",
        "job 7 failed",
        "Invalid user oracle from 10.0.0.1",
        "job 8 failed",
        "Invalid user webmaster from 173.234.31.186",
    ]
    one = TemplateMiner()
    expected = [one.mine(m).template_id for m in messages]
    batch = TemplateMiner().mine_many(messages * 40)  # 200: masked by RE2, not `re`
    assert batch.template_id.to_pylist() == expected * 40
    assert batch.template.to_pylist()[0] == "Invalid user <*> from <*>"  # as the batch ends


def test_a_null_message_is_mined_as_an_empty_one():
    batch = TemplateMiner().mine_many(pa.array(["disk 1 full", None, ""] * 50))
    ids = batch.template_id.to_pylist()
    assert ids[1] == ids[2] != ids[0]


def test_past_the_cap_each_message_of_a_batch_is_counted_under_its_own_file():
    miner = TemplateMiner(max_templates_per_path=1)
    messages = ["alpha up", "beta up", "beta up", "beta up"]
    paths = ["/a.log", "/a.log", "/a.log", "/b.log"]
    ids = miner.mine_many(messages, paths).template_id.to_pylist()
    assert ids[1] == ids[2] == OTHER_ID  # /a.log is full
    assert ids[3] not in (OTHER_ID, ids[0])  # /b.log is not: beta gets its template there
    assert miner.state.other_per_path == {"/a.log": 2}


def test_masking_in_re2_and_in_python_agree():
    messages = [
        "rhost=10.0.0.1:22, user=root (uid=0) at Sun Jul 17 12:00:01 2005",
        "GET /v2/servers/detail HTTP/1.1 took 0.25 s; Sunday Monday",
        "blk_-1608 blk_77 x9=1 a,b 1,2 [instance: 4f1c-33] ünïcödé 42ms\tend",
    ]
    if loghub.available():
        messages += [m for name in loghub.SYSTEMS for m in loghub.messages(name)]
    re2 = masked_array(string_array(messages)).to_pylist()
    assert re2 == [masked(m) for m in messages]


def test_a_partly_masked_token_covers_any_value_of_its_key():
    miner = TemplateMiner()
    first = miner.mine("login failed for alice from rhost=10.0.0.1 tty=ssh")
    later = miner.mine("login failed for bob from rhost=db.lan tty=ssh")  # a word and a value
    assert later.template_id == first.template_id
    assert later.template == "login failed for <*> from rhost=<*> tty=ssh"


def test_partly_masked_tokens_of_two_shapes_are_not_one_word_argument():
    miner = TemplateMiner()
    opened = miner.mine("session opened for user root by (uid=0)")
    login = miner.mine("session opened for user root by LOGIN(uid=0)")
    assert login.template_id != opened.template_id
