"""streams/registry.py: every entry points at an importable factory; unknown names are refused."""

from __future__ import annotations

import importlib

import pytest

from inkstream.errors import ConfigError
from streams.registry import PROCESSORS, load_processor
from streams.runtime import Processor


@pytest.mark.parametrize("name", sorted(PROCESSORS))
def test_every_registered_processor_names_an_importable_factory(name: str) -> None:
    # Factories are not called here: some open models or embedded databases on creation.
    module, _, attr = PROCESSORS[name].partition(":")
    assert callable(getattr(importlib.import_module(module), attr)), PROCESSORS[name]


def test_load_processor_builds_the_passthrough_example_in_development(base_settings, codec) -> None:
    proc = load_processor("passthrough", base_settings.model_copy(update={"environment": "development"}), codec)
    assert isinstance(proc, Processor) and proc.inputs == ("documents.ingested",) and proc.transactional


def test_unknown_processor_is_a_config_error_listing_the_known_ones(base_settings, codec) -> None:
    with pytest.raises(ConfigError, match="extract-memory"):
        load_processor("nope", base_settings, codec)
