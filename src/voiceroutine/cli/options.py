"""The options several commands share, with the checks that make a bad one a usage error."""

# No `from __future__ import annotations`: typer reads these annotations at every start.
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from voiceroutine.access import MAX_HOURS_CEILING
from voiceroutine.audio.formats import FORMAT_NAMES, SAMPLE_RATES
from voiceroutine.names import WEEKDAYS

Format = Enum("Format", {name: name for name in FORMAT_NAMES}, type=str)  # type: ignore[misc]
"""The --format choices: the registry's formats."""
WeekdayChoice = Enum("WeekdayChoice", {day: day for day in WEEKDAYS}, type=str)  # type: ignore[misc]
"""The --day choices: a program's weekdays."""


def _known_engine(name: str | None) -> str | None:
    """--engine names an installed engine, or it is a usage error (exit 2)."""
    if name is None:
        return None
    from voiceroutine.tts.registry import canonical_engine, is_engine, unknown_engine

    if not is_engine(name):
        raise typer.BadParameter(unknown_engine(name))
    return canonical_engine(name)


def _sample_rate(rate: int | None) -> int | None:
    """--sample-rate is one that some format is written at, or it is a usage error (exit 2)."""
    if rate is not None and rate not in SAMPLE_RATES:
        raise typer.BadParameter(
            f"{rate} Hz is not a rate any format is written at; "
            f"choose one of: {', '.join(map(str, SAMPLE_RATES))}"
        )
    return rate


RoutineFiles = Annotated[
    list[Path],
    typer.Argument(help="Routine YAML files.", show_default=False, metavar="FILE"),
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Speech engine (default: the routine's, else pyttsx3).",
        callback=_known_engine,
    ),
]
VoiceOption = Annotated[str | None, typer.Option("--voice", help="Voice name or id of the engine.")]
RateOption = Annotated[
    int | None,
    typer.Option("--rate", min=40, max=500, help="Speaking rate in words per minute."),
]
FormatOption = Annotated[
    Format | None,
    typer.Option("--format", help="Audio format (default: the routine's, else mp3)."),
]
SampleRateOption = Annotated[
    int | None,
    typer.Option("--sample-rate", help="Sample rate in Hz (default 44100).", callback=_sample_rate),
]
MaxHoursOption = Annotated[
    float | None,
    typer.Option(
        "--max-hours",
        min=0.01,
        max=MAX_HOURS_CEILING,
        help="The longest session to build (default 12; also max_hours in the config file).",
    ),
]
JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per core)."),
]
LanguageOption = Annotated[
    str, typer.Option("--language", help="Language of the spoken text: en, de, es or fr.")
]
