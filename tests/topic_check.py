"""pytest plugin (imported by tests/conftest.py; ``-p topic_check`` elsewhere): a test run
accounts for the topics it makes on the shared broker.

- every topic created in-process is remembered with the test that made it;
- ``topic_prefix(kind)`` hands a test a fresh prefix and deletes everything under it
  (topics, consumer groups) when the test ends, pass or fail;
- the run fails at its end, naming them, if it left any of its topics behind. It looks
  only at names it made (its prefixes, its recorded creations), never at the platform's
  topics or at other people's runs on the same broker.
"""

from __future__ import annotations

import functools

import pytest

from inkstream.settings import Settings, load_settings
from topic_admin import (delete_leftovers, delete_pending_groups, delete_prefixed, leftovers, new_prefix,
                         record_creations)

__all__ = ["pytest_runtest_setup", "pytest_sessionfinish", "topic_prefix"]


@functools.cache
def _base() -> Settings:
    return load_settings()


def pytest_runtest_setup(item: pytest.Item) -> None:
    record_creations(item.nodeid)


def _platform_topics(base: Settings) -> frozenset[str]:
    from inkstream.topic_plan import planned_topics

    return frozenset(base.topics.name(t) for t in planned_topics(base))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run, naming them, when it leaves topics it made (a fixture without a
    finalizer, a test naming its own prefix). They are deleted here so the shared broker does
    not fill up; the test that made them must still be fixed."""
    base = load_settings()
    protect = _platform_topics(base)
    try:
        left = leftovers(base.kafka.bootstrap, protect, base.kafka.client)
        groups = delete_pending_groups(base)
    except Exception as exc:  # noqa: BLE001 - the broker went away at the end: nothing to check
        print(f"\ntopic check skipped: {exc}")
        return
    if groups:  # their topics are gone: the broker drops them once empty; said, not failed
        print(f"\nconsumer groups still with members at the end, left to expire: {' '.join(groups)}")
    if not left:
        return
    deleted = delete_leftovers(base.kafka.bootstrap, left, protect, base.kafka.client)
    partitions = sum(parts for parts, _ in left.values())
    text = "\n".join(
        [f"this run left {len(left)} of its topics ({partitions} partitions) on {base.kafka.bootstrap}; "
         f"{len(deleted)} deleted now. Give the test that made them a finalizer (the settings and "
         "topic_prefix fixtures, topic_admin.delete_prefixed):"]
        + [f"  {name} ({parts} partitions) made by {test}" for name, (parts, test) in sorted(left.items())])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "topics left behind", red=True)
        reporter.write_line(text)
    else:
        print(text)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def topic_prefix():
    """``topic_prefix(kind="t")``: a fresh ``<kind><hex10>.`` topic prefix; every topic and
    consumer group under it is deleted when the test ends, pass or fail. For tests that hand
    a prefix to processes they spawn (INKSTREAM_TOPICS__PREFIX) or build their own settings;
    the ``settings`` fixture takes one itself."""
    base = _base()
    taken: list[str] = []

    def take(kind: str = "t") -> str:
        taken.append(new_prefix(kind))
        return taken[-1]

    yield take
    for prefix in taken:
        delete_prefixed(base, prefix)
