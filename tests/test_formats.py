"""One registry entry per output format: the CLI, the schema, the feed and the server read it."""

from __future__ import annotations

import pytest

from voiceroutine.audio.formats import FORMAT_NAMES, FORMATS, SAMPLE_RATES, format_of_suffix
from voiceroutine.cli import Format
from voiceroutine.schema import routine_schema
from voiceroutine.share.serve import CONTENT_TYPES


def test_the_command_line_offers_the_registry_formats() -> None:
    assert [choice.value for choice in Format] == list(FORMAT_NAMES)


def test_the_schema_lists_the_registry_formats_and_rates() -> None:
    audio = routine_schema()["$defs"]["AudioSettings"]["properties"]
    formats = next(option for option in audio["format"]["anyOf"] if "enum" in option)
    rates = next(option for option in audio["sample_rate"]["anyOf"] if "enum" in option)
    assert formats["enum"] == list(FORMAT_NAMES)
    assert rates["enum"] == list(SAMPLE_RATES)


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_each_format_is_found_by_its_suffix_and_served_as_its_media_type(name: str) -> None:
    audio_format = FORMATS[name]
    assert format_of_suffix(f".{audio_format.extension.upper()}") is audio_format
    assert CONTENT_TYPES[f".{audio_format.extension}"] == audio_format.media_type
    assert audio_format.default_rate in audio_format.sample_rates


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_each_lossy_format_is_checked_while_it_is_written(name: str) -> None:
    audio_format = FORMATS[name]
    checked_while_written = (audio_format.growing_decoder, audio_format.stream_container)
    assert audio_format.lossless or any(checked_while_written)


def test_an_unknown_suffix_is_no_format() -> None:
    assert format_of_suffix(".aiff") is None
    assert format_of_suffix("") is None
