"""The shared table on the real broker: what one instance writes, another sees within
seconds; deletes travel as tombstones; a new instance starts from the whole table."""

from __future__ import annotations


import pytest

from inkstream.shared_table import SharedTable

from tests.polling import until

pytestmark = pytest.mark.stack


@pytest.fixture
def tables(settings):
    made: list[SharedTable] = []

    def start(prefix: str = "thing/", **kw) -> SharedTable:
        made.append(SharedTable(settings, "admin.state", prefix=prefix, **kw).start())
        return made[-1]

    yield start
    for t in made:
        t.stop()
    from topic_admin import delete_topics
    delete_topics(settings, [settings.topics.name("admin.state")])


def test_a_write_on_one_instance_reaches_another_and_a_delete_follows(tables):
    a, b = tables(), tables()
    a.put("k1", {"n": 1})
    assert a.get("k1") == {"n": 1}  # read-your-writes at once
    took = until(lambda: b.get("k1") == {"n": 1})
    assert took < 5
    b.delete("k1")
    until(lambda: a.get("k1") is None)
    assert a.fresh() and b.fresh()


def test_a_new_instance_starts_from_the_whole_table_and_sees_only_its_prefix(tables):
    a, other = tables(), tables("other/")
    for n in range(5):
        a.put(f"k{n}", {"n": n})
    a.delete("k0")
    other.put("k1", {"n": "not mine"})
    late = tables()  # started after every write: start() returned only once it had read them
    assert sorted(late.items()) == [(f"k{n}", {"n": n}) for n in range(1, 5)]


def test_merge_keeps_what_a_stale_write_would_undo(tables):
    def sticky(current, incoming):
        if current and current.get("revoked") and not incoming.get("revoked"):
            return {**incoming, "revoked": current["revoked"]}
        return incoming

    a, b = tables(merge=sticky), tables(merge=sticky)
    a.put("key", {"revoked": None, "used": 1})
    until(lambda: b.get("key") is not None)
    a.put("key", {"revoked": 123.0, "used": 1})
    b.put("key", {"revoked": None, "used": 2})  # B had not seen the revocation yet
    until(lambda: a.get("key") == {"revoked": 123.0, "used": 2})
    assert b.get("key")["revoked"] == 123.0 or until(lambda: b.get("key")["revoked"] == 123.0) < 5


def test_sync_waits_until_a_write_made_elsewhere_is_applied(tables):
    a, b = tables(), tables()
    for n in range(20):
        a.put(f"s{n}", {"n": n})
        assert b.sync(5) and b.get(f"s{n}") == {"n": n}  # at once after sync, no polling
