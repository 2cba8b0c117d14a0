"""Shared fixtures. Tests marked ``stack`` use the running local stack (``inkstream up``,
started by .ci/run); each such test gets its own topic prefix so tests never share data,
and everything under it (topics, consumer groups) is deleted when the test ends, pass or
fail. The run ends with a check that it left none of its topics on the shared broker."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

# CI explores the same examples every run: a property test that finds a new bug on a
# random draw fails the developer's run, not an unrelated submission.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# The tests are local development: the shipped webhook keys and local S3 pair are accepted
# and e-sign is the simulation unless a test configures a provider (inkstream/fail_closed.py).
# Set in the environment so the processes a test spawns run in the same mode.
os.environ.setdefault("INKSTREAM_ENVIRONMENT", "development")
os.environ.setdefault("INKSTREAM_ESIGN__PROVIDER", "simulated")

from inkstream.settings import Settings, load_settings  # noqa: E402 - after the environment above
# The run accounts for its topics: each test's are deleted when it ends, and the run fails
# naming any left behind (tests/topic_check.py).
from topic_check import pytest_runtest_setup, pytest_sessionfinish, topic_prefix  # noqa: E402,F401


def _stack_s3_credentials_to_env() -> None:
    """Tests give processes data dirs of their own but share the running stack's S3 server:
    its generated credentials (``inkstream up`` on a new data dir) go to every client by
    environment. A stack provisioned before generated credentials has none: the fixed pair."""
    from inkstream.fail_closed import stack_s3_env

    for var, value in stack_s3_env(load_settings()).items():
        os.environ.setdefault(var, value)


_stack_s3_credentials_to_env()


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def codec():
    """The codec of the tests' settings (their data dir's key store), as a process's edge
    builds it: what tests encode their input records with and decode outputs with."""
    from session_codec import session_codec

    return session_codec()


@pytest.fixture
def settings(base_settings: Settings, topic_prefix) -> Settings:  # noqa: F811 - the fixture, by name
    """Settings with a unique topic prefix, for tests that touch Kafka; what the test made
    under it (topics, DLQs, state topics, consumer groups) is deleted when it ends."""
    return base_settings.model_copy(
        update={"topics": base_settings.topics.model_copy(update={"prefix": topic_prefix()})}
    )


@pytest.fixture
def kafka_topics():
    """``kafka_topics(settings, topics)`` creates the test's prefixed topics on the dev broker
    (``{topic: partitions}`` or names, one partition each) and deletes them after the test.
    Fails the test with what to do when the broker is not running."""
    from topic_admin import create_topics, delete_topics

    made: list[tuple[Settings, list[str]]] = []

    def create(settings: Settings, topics) -> list[str]:
        try:
            names = create_topics(settings, topics)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"Kafka not reachable at {settings.kafka.bootstrap} ({exc}): run `inkstream up`")
        made.append((settings, names))
        return names

    yield create
    for settings, names in made:
        delete_topics(settings, names)
