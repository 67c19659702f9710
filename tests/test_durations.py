"""The duration syntax routines use, and how durations are shown to people."""

import pytest

from voiceroutine.durations import format_duration, parse_duration_ms


@pytest.mark.parametrize(
    ("value", "expected_ms"),
    [
        (20, 20_000),
        (20.5, 20_500),
        (0, 0),
        ("20", 20_000),
        ("20s", 20_000),
        ("20S", 20_000),
        (" 20s ", 20_000),
        ("20 s", 20_000),
        ("1m30s", 90_000),
        ("1m 30s", 90_000),
        ("1 min 30 sec", 90_000),
        ("90 seconds", 90_000),
        ("2 min", 120_000),
        ("1.5m", 90_000),
        (".5s", 500),
        ("500ms", 500),
        ("100 milliseconds", 100),
        ("1h", 3_600_000),
        ("1h 2m 3s", 3_723_000),
        ("2 hours", 7_200_000),
    ],
)
def test_parse_duration_accepts(value, expected_ms):
    assert parse_duration_ms(value) == expected_ms


def test_parse_duration_returns_whole_milliseconds():
    result = parse_duration_ms(0.0004)
    assert result == 0
    assert isinstance(result, int)
    assert isinstance(parse_duration_ms("1.0005s"), int)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-5, "cannot be negative"),
        (-0.5, "cannot be negative"),
        ("-5s", "cannot be negative"),
        (" -5", "cannot be negative"),
        ("abc", "expected a duration such as 20, 20s, 1m30s or 90 seconds, got 'abc'"),
        ("10 parsecs", "unknown time unit 'parsecs'"),
        (True, "got True"),
        (False, "got False"),
        (None, "expected a duration"),
        ([20], "expected a duration"),
        ("1m30", "got '1m30'"),
        ("30 1m", "got '30 1m'"),
        ("5s5s", "the same unit appears twice"),
        ("1min 1m", "the same unit appears twice"),
        ("", "got ''"),
        ("   ", "expected a duration"),
        ("s", "expected a duration"),
        ("20s,", "expected a duration"),
        (float("nan"), "expected a duration"),
        (float("inf"), "expected a duration"),
        (float("-inf"), "cannot be negative"),
    ],
)
def test_parse_duration_rejects(value, message):
    with pytest.raises(ValueError) as caught:
        parse_duration_ms(value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0:00"),
        (400, "0:00"),
        (5_000, "0:05"),
        (59_600, "1:00"),
        (65_000, "1:05"),
        (845_000, "14:05"),
        (3_599_000, "59:59"),
        (3_600_000, "1:00:00"),
        (3_723_000, "1:02:03"),
        (36_000_000, "10:00:00"),
    ],
)
def test_format_duration(ms, text):
    assert format_duration(ms) == text


def test_format_duration_round_trips_parse():
    assert format_duration(parse_duration_ms("1h 2m 3s")) == "1:02:03"
