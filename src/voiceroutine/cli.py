"""The command line: parse arguments, call the API, print results. Nothing else lives here."""

# No `from __future__ import annotations` here: typer reads every command's annotations
# at each start, and as strings it would have to compile and evaluate each one (5 ms).
import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import Enum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from voiceroutine import __version__, api
from voiceroutine.access import MAX_HOURS_CEILING, NO_ALLOWANCES, Allowances
from voiceroutine.audio.formats import FORMAT_NAMES, FORMATS, SAMPLE_RATES
from voiceroutine.batch import Outcome, build_all, default_jobs
from voiceroutine.durations import format_duration
from voiceroutine.errors import SourceWarning, VoiceroutineError
from voiceroutine.interrupts import (
    INTERRUPTED_EXIT,
    INTERRUPTED_MESSAGE,
    TERMINATED_EXIT,
    TERMINATED_MESSAGE,
    Terminated,
    unwind_on_sigterm,
)
from voiceroutine.timeline import Cue, Timeline

if TYPE_CHECKING:
    from rich.table import Table

app = typer.Typer(
    name="voiceroutine",
    help="Turn a routine written in YAML into a voice-guided audio session.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

T = TypeVar("T")


Format = Enum("Format", {name: name for name in FORMAT_NAMES}, type=str)  # type: ignore[misc]
"""The --format choices: the registry's formats."""


RoutineFile = Annotated[
    Path, typer.Argument(help="A routine YAML file.", show_default=False, metavar="FILE")
]


def _known_engine(name: str | None) -> str | None:
    """--engine names an installed engine, or it is a usage error (exit 2)."""
    from voiceroutine.tts.registry import engine_names, unknown_engine

    if name is not None and name not in engine_names():
        raise typer.BadParameter(unknown_engine(name))
    return name


def _sample_rate(rate: int | None) -> int | None:
    """--sample-rate is one that some format is written at, or it is a usage error (exit 2)."""
    if rate is not None and rate not in SAMPLE_RATES:
        raise typer.BadParameter(
            f"{rate} Hz is not a rate any format is written at; "
            f"choose one of: {', '.join(map(str, SAMPLE_RATES))}"
        )
    return rate


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


MaxHoursOption = Annotated[
    float | None,
    typer.Option(
        "--max-hours",
        min=0.01,
        max=MAX_HOURS_CEILING,
        help="The longest session to build (default 12; also max_hours in the config file).",
    ),
]


class _State:
    def __init__(self) -> None:
        self.debug = False
        self.allowances = NO_ALLOWANCES
        # No emoji codes: a file named ":rain:" stays as it is (and rich skips loading them).
        self.out = Console(soft_wrap=True, highlight=False, emoji=False)
        self.err = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


def _allow_hours(state: _State, max_hours: float | None) -> None:
    """--max-hours given after the command counts as if given before it."""
    if max_hours is not None:
        state.allowances = replace(state.allowances, max_hours=max_hours)


def _state(ctx: typer.Context) -> _State:
    if not isinstance(ctx.obj, _State):
        ctx.obj = _State()
    return ctx.obj


def _run(
    ctx: typer.Context, action: Callable[[], T], unfinished: Callable[[], str] | None = None
) -> T:
    """Run an action, turning our errors into one message and exit code 1.

    Stopped by Ctrl-C or SIGTERM, it says so, and what was left unwritten:
    `unfinished()` if given, else that the file being built was not.
    """
    state = _state(ctx)
    try:
        return action()
    except VoiceroutineError as error:
        if state.debug:
            raise
        for problem in error.every():  # each at its place, one a line
            state.err.print(f"[bold red]error:[/] {escape(str(problem))}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        if state.debug:
            raise
        state.err.print(_stopped("interrupted", INTERRUPTED_MESSAGE, unfinished))
        raise typer.Exit(INTERRUPTED_EXIT) from None
    except Terminated:
        state.err.print(_stopped("terminated", TERMINATED_MESSAGE, unfinished))
        raise typer.Exit(TERMINATED_EXIT) from None


def _stopped(how: str, usual: str, unfinished: Callable[[], str] | None) -> str:
    return f"{how}; {unfinished()}" if unfinished is not None else usual


def _version(value: bool) -> None:
    if value:
        print(f"voiceroutine {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    allow_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--allow-dir",
            help="A folder besides the routine's own that its sound, music and cover files "
            "may come from (repeatable; also allow_dirs in the config file).",
            file_okay=False,
        ),
    ] = None,
    max_hours: MaxHoursOption = None,
) -> None:
    """Turn a routine written in YAML into a voice-guided audio session."""
    state = _state(ctx)
    state.debug = debug
    allowed = Allowances(tuple(allow_dir or ()), max_hours)
    state.allowances = _run(ctx, allowed.with_config)  # the config file, read once


@app.command()
def build(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Routine YAML files.", show_default=False, metavar="FILE"),
    ],
    out_dir: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the audio, timeline and subtitles.")
    ] = api.DEFAULT_OUT_DIR,
    engine: EngineOption = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    audio_format: Annotated[
        Format | None,
        typer.Option("--format", help="Audio format (default: the routine's, else mp3)."),
    ] = None,
    loudness: Annotated[
        float | None,
        typer.Option("--loudness", min=-36, max=-10, help="Loudness target in LUFS (default -16)."),
    ] = None,
    bitrate: Annotated[
        int | None, typer.Option("--bitrate", min=16, max=320, help="Bitrate in kbit/s.")
    ] = None,
    sample_rate: Annotated[
        int | None,
        typer.Option(
            "--sample-rate", help="Sample rate in Hz (default 44100).", callback=_sample_rate
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Build even if the output is up to date.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Routines built at once, or for one routine, processes speaking its lines and "
            "parts of a long MP3 encoded at once (default: one per core).",
        ),
    ] = None,
    share: Annotated[
        bool,
        typer.Option(
            "--share", help="Also pack DIR/<stem>.zip: audio, cover, chapters and YAML, to send."
        ),
    ] = False,
    max_hours: MaxHoursOption = None,
) -> None:
    """Build DIR/<stem>.mp3 with <stem>.json, <stem>.vtt and <stem>.chapters.json beside it."""
    state = _state(ctx)
    _allow_hours(state, max_hours)
    files = _distinct_routines(files)
    if audio_format is not None:
        _check_format_options(state, audio_format.value, sample_rate, bitrate)
    options = api.BuildOptions(
        out_dir=out_dir,
        audio_format=audio_format.value if audio_format else None,
        voice=api.VoiceOverrides(engine=engine, name=voice, rate=rate),
        loudness=loudness,
        bitrate=bitrate,
        sample_rate=sample_rate,
        force=force,
        allowances=state.allowances,
        share_malloc_arena=True,  # this process's threads mix and check the audio
    )
    if len(files) > 1:
        _build_batch(ctx, files, options, jobs or default_jobs(), share)
        return
    with _progress(state) as progress:
        single = replace(options, jobs=jobs or default_jobs())
        result = _run(ctx, lambda: api.build(files[0], single, progress=progress))
    _report_build(state, files[0], result)
    if share:
        _run(ctx, lambda: _share_build(state, files[0], result))


def _distinct_routines(files: list[Path]) -> list[Path]:
    """The routines to build, each once; two that would write the same files are refused."""
    seen: set[Path] = set()
    unique: list[Path] = []
    for path in files:
        try:
            same = path.resolve()
        except OSError:
            same = path
        if same not in seen:  # the same file named twice is built once
            seen.add(same)
            unique.append(path)
    stems: dict[str, Path] = {}
    for path in unique:
        other = stems.setdefault(path.stem, path)
        if other is not path:
            raise typer.BadParameter(
                f"{other} and {path} would both write {path.stem}.* into the output folder; "
                "rename one, or build them one at a time with different --output folders",
                param_hint="FILE",
            )
    return unique


def _check_format_options(
    state: _State, name: str, sample_rate: int | None, bitrate: int | None
) -> None:
    """--sample-rate must suit --format (exit 2); --bitrate on a lossless format gets a note."""
    audio_format = FORMATS[name]
    if sample_rate is not None and sample_rate not in audio_format.sample_rates:
        rates = ", ".join(str(r) for r in audio_format.sample_rates)
        raise typer.BadParameter(
            f"{name} cannot be {sample_rate} Hz; choose one of: {rates}",
            param_hint="--sample-rate",
        )
    if bitrate is not None and audio_format.lossless:
        state.err.print(f"note: --bitrate does not apply to {name}, which is lossless")


def _share_build(state: _State, path: Path, result: api.BuildResult) -> None:
    """Pack a built routine into a zip to send, and say where it is."""
    from voiceroutine.share.bundle import share_zip

    packed = share_zip(path, result, state.allowances)
    size = packed.stat().st_size
    state.out.print(f"[green]packed[/] {escape(str(packed))}  {size / 1e6:.1f} MB")


def _build_batch(
    ctx: typer.Context,
    files: list[Path],
    options: api.BuildOptions,
    jobs: int,
    share: bool = False,
) -> None:
    """Build several routines in parallel, with one progress bar over them all."""
    state = _state(ctx)
    failed = 0
    with _progress(state) as progress:
        progress("Routines", 0, len(files))
        done = 0

        def report(outcome: Outcome) -> None:
            nonlocal done, failed
            done += 1
            progress("Routines", done, len(files))
            if outcome.result is not None:
                _report_build(state, outcome.path, outcome.result)
                if share:
                    _share_build(state, outcome.path, outcome.result)
            else:
                failed += 1
                state.err.print(f"[bold red]error:[/] {escape(outcome.error or '')}")

        def unfinished() -> str:
            built = done - failed
            return (
                f"{built} of {_count(len(files), 'routine')} built (listed above); "
                "the others were not written"
            )

        _run(ctx, lambda: build_all(files, options, jobs, report), unfinished)
    if failed:
        raise typer.Exit(1)


def _report_build(state: _State, path: Path, result: api.BuildResult) -> None:
    for warning in result.source_warnings:
        _print_source_warning(state, warning)
    if result.timeline is None:
        state.out.print(f"[green]up to date[/] {escape(str(result.audio))} (--force rebuilds it)")
        return
    _print_warnings(state, path, result.timeline)
    problem = result.loudness.problem() if result.loudness else None
    if problem:
        state.err.print(f"[yellow]warning:[/] {escape(str(result.audio))}: {escape(problem)}")
    size = result.audio.stat().st_size
    state.out.print(
        f"[green]built[/] {escape(str(result.audio))}  "
        f"{format_duration(result.timeline.duration_ms)}  {size / 1e6:.1f} MB  "
        f"({_count(result.synthesized, 'line')} synthesized, {result.reused} from cache)"
    )


@app.command()
def extract(
    ctx: typer.Context,
    audio: Annotated[
        Path, typer.Argument(help="An audio file voiceroutine built.", metavar="AUDIO")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the routine to this new file (never overwrites)."
        ),
    ] = None,
) -> None:
    """Print the routine YAML a built audio file carries, to edit and build again.

    A routine that uses its own `library:` file carries that too; `-o` writes both.
    """
    state = _state(ctx)
    extracted = _run(ctx, lambda: api.extract(audio))
    if output is None:
        sys.stdout.write(extracted.routine)
        if extracted.library is not None:
            state.err.print(
                f"note: the file also carries the routine's library "
                f"'{escape(extracted.library_name or '')}'; -o FILE writes both"
            )
        return
    for written in _run(ctx, lambda: api.write_extracted(extracted, output)):
        state.out.print(f"[green]wrote[/] {escape(str(written))}")
    name = extracted.library_name
    if name is not None and Path(name).is_absolute():
        state.err.print(
            f"note: the routine names its library as '{escape(name)}'; "
            f"write `library: {escape(Path(name).name)}` to use the copy beside it"
        )


@app.command()
def check(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Routine YAML files.", show_default=False, metavar="FILE"),
    ],
    rate: RateOption = None,
    chapters: Annotated[
        bool, typer.Option("--chapters/--no-chapters", help="Print each chapter's length.")
    ] = True,
    max_hours: MaxHoursOption = None,
) -> None:
    """Validate routines; print each one's estimated length, its chapters and any warnings."""
    state = _state(ctx)
    _allow_hours(state, max_hours)
    overrides = api.VoiceOverrides(rate=rate)
    failed = 0
    for file in dict.fromkeys(files):
        try:
            timeline = _run(
                ctx,
                lambda file=file: api.check(
                    file, overrides, state.allowances, partial(_print_source_warning, state)
                ),
            )
        except typer.Exit as stop:
            if stop.exit_code != 1:
                raise
            failed += 1
            continue
        _print_warnings(state, file, timeline)
        spoken = sum(1 for cue in timeline.cues if cue.kind == "speech")
        warnings = f", {_count(len(timeline.warnings), 'warning')}" if timeline.warnings else ""
        state.out.print(
            f"[green]ok[/] {escape(str(file))}: about {format_duration(timeline.duration_ms)}, "
            f"{_count(len(timeline.chapters), 'chapter')}, "
            f"{_count(spoken, 'spoken line')}{warnings}"
        )
        if chapters:
            for chapter in timeline.chapters:
                length = format_duration(chapter.end_ms - chapter.start_ms)
                state.out.print(f"  {length:>8}  {escape(chapter.title)}")
    if failed:
        raise typer.Exit(1)


@app.command()
def plan(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Routine YAML files.", show_default=False, metavar="FILE"),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the timeline JSON (a list of them for several files)."),
    ] = False,
    engine: EngineOption = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    max_hours: MaxHoursOption = None,
) -> None:
    """Show the timeline: when each line is spoken. Times are estimates unless --engine is given."""
    state = _state(ctx)
    _allow_hours(state, max_hours)
    overrides = api.VoiceOverrides(engine=engine, name=voice, rate=rate)
    speak = engine is not None
    files = list(dict.fromkeys(files))
    timelines = [
        _run(
            ctx,
            lambda file=file: api.plan(
                file, overrides, speak, state.allowances, partial(_print_source_warning, state)
            ),
        )
        for file in files
    ]
    if as_json:
        data = [timeline.to_json() for timeline in timelines]
        text = json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False)
        sys.stdout.write(text + "\n")
        return
    for file, timeline in zip(files, timelines, strict=True):
        _print_plan(state, file, timeline)


def _print_plan(state: _State, file: Path, timeline: Timeline) -> None:
    table = _table(Text(f"{timeline.title} ({format_duration(timeline.duration_ms)})"))
    table.add_column("time", justify="right")
    table.add_column("chapter")
    table.add_column("kind")
    table.add_column("text")
    events = sorted(
        [(cue.start_ms, 0, timeline.chapters[cue.chapter].title, cue.kind, _what(cue))
         for cue in timeline.cues]
        + [(seg.start_ms, 1, "", seg.kind, f"{(seg.end_ms - seg.start_ms) / 1000:g} s")
           for seg in timeline.segments]
    )  # fmt: skip
    for start, _, chapter, kind, text in events:
        table.add_row(_clock(start), Text(chapter), kind, Text(text))
    state.out.print(table)
    _print_warnings(state, file, timeline)


@app.command()
def voices(
    ctx: typer.Context,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Only this speech engine (default: every one).")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Only voices for this language, such as en.")
    ] = None,
) -> None:
    """List the voices each installed speech engine offers."""
    from voiceroutine.tts.base import VoiceInfo
    from voiceroutine.tts.registry import create_engine, engine_names

    def offered(name: str) -> list[VoiceInfo] | str:
        try:
            return create_engine(name).voices()
        except VoiceroutineError as error:
            return f"{name}: not available: {error}"

    state = _state(ctx)
    if engine:
        engines = {engine: _run(ctx, lambda: create_engine(engine).voices())}
    else:
        engines = {name: offered(name) for name in engine_names()}
    if language:
        from voiceroutine.languages import normalized_tag, primary_language

        wanted = normalized_tag(language)

        def speaks(voice: VoiceInfo) -> bool:
            return any(tag == wanted or primary_language(tag) == wanted for tag in voice.languages)

        engines = {
            name: found if isinstance(found, str) else [v for v in found if speaks(v)]
            for name, found in engines.items()
        }
        if not any(isinstance(found, list) and found for found in engines.values()):
            raise typer.BadParameter(
                f"no installed voice speaks '{language}' (a language tag such as en, de or pt-br)",
                param_hint="--language",
            )
    for name, found in engines.items():
        if isinstance(found, str):
            state.out.print(Text(found))
            continue
        if language and not found:
            state.out.print(Text(f"{name}: no voice for '{language}'"))
            continue
        columns = ["id", "name", "languages"]
        if any(v.speakers for v in found):
            columns.append("speakers")
        table = _table(f"{name} voices")
        for column in columns:
            table.add_column(column)
        for voice in found:
            cells = [voice.id, voice.name, ", ".join(voice.languages), ", ".join(voice.speakers)]
            table.add_row(*(Text(cell) for cell in cells[: len(columns)]))
        state.out.print(table)


exercises_app = typer.Typer(
    help="List the exercise catalogue, or show one exercise.", no_args_is_help=False
)
app.add_typer(exercises_app, name="exercises")

LanguageOption = Annotated[
    str, typer.Option("--language", help="Language of the spoken text: en, de, es or fr.")
]


@exercises_app.callback(invoke_without_command=True)
def exercises(
    ctx: typer.Context,
    target: Annotated[
        str | None, typer.Option("--target", help="Only exercises for this, such as lower-back.")
    ] = None,
    language: LanguageOption = "en",
) -> None:
    """List the catalogue's exercises: id, name, position, targets and default dosing."""
    if ctx.invoked_subcommand:
        return
    state = _state(ctx)
    catalogue = _run(ctx, lambda: api.catalogue(language))
    entries = [e for e in catalogue.exercises.values() if target is None or target in e.targets]
    if not entries:
        known = sorted({t for e in catalogue.exercises.values() for t in e.targets})
        state.err.print(
            f"[bold red]error:[/] no exercise targets '{escape(target or '')}'; "
            f"targets: {', '.join(known)}"
        )
        raise typer.Exit(1)
    table = _table(Text(_count(len(entries), "exercise")))
    table.add_column("id", no_wrap=True)  # the id is what a routine names: never cut it
    for column in ("name", "position", "targets", "dosing"):
        table.add_column(column)
    for entry in sorted(entries, key=lambda e: e.id):
        table.add_row(
            Text(entry.id),
            Text(entry.name),
            Text(entry.position or ""),
            Text(", ".join(entry.targets)),
            Text(_dosing(entry)),
        )
    state.out.print(table)


@exercises_app.command("show")
def exercise_show(
    ctx: typer.Context,
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="An exercise id.")],
    language: LanguageOption = "en",
) -> None:
    """Print one exercise as a routine step in YAML, ready to paste under steps: and adapt."""
    catalogue = _run(ctx, lambda: api.catalogue(language))
    entry = catalogue.exercises.get(exercise_id)
    if entry is None:
        from voiceroutine.suggest import did_you_mean

        hint = did_you_mean(exercise_id, catalogue.exercises)
        _state(ctx).err.print(f"[bold red]error:[/] unknown exercise '{escape(exercise_id)}'{hint}")
        raise typer.Exit(1)
    sys.stdout.write(api.exercise_step_yaml(entry))


@app.command()
def breathing(ctx: typer.Context, language: LanguageOption = "en") -> None:
    """List the built-in breathing patterns."""
    catalogue = _run(ctx, lambda: api.catalogue(language))
    table = _table(Text("breathing patterns"))
    for column in ("id", "name", "in / top-up / hold / out / hold", "cycles"):
        table.add_column(column)
    for entry in catalogue.breathing.values():
        phases = (entry.inhale, entry.top_up, entry.hold, entry.exhale, entry.hold_out)
        table.add_row(
            Text(entry.id),
            Text(entry.name or ""),
            " / ".join(f"{ms / 1000:g}" for ms in phases),
            str(entry.cycles or ""),
        )
    _state(ctx).out.print(table)


@app.command()
def new(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The routine file to create.")],
    source: Annotated[
        str | None,
        typer.Option("--from", help="Start from a bundled example (such as evening) or a file."),
    ] = None,
) -> None:
    """Write a new routine file to edit (never overwrites a file)."""
    _run(ctx, lambda: api.new_routine(file, source))
    name = escape(str(file))
    _state(ctx).out.print(f"[green]wrote[/] {name}; check it with: voiceroutine check {name}")


@app.command()
def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of the routine format (for editors that validate YAML)."""
    sys.stdout.write(json.dumps(api.routine_schema(), indent=2, ensure_ascii=False) + "\n")


DEFAULT_SITE = Path("site")
DEFAULT_ROUTINES = Path("routines")


def _base_url(value: str | None) -> str | None:
    """A site address for the feed: http(s), with a host, ending in a slash."""
    from urllib.parse import urlsplit

    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise typer.BadParameter("give the site's address, such as https://example.org/routines/")
    return parts.geturl() if parts.path.endswith("/") else parts.geturl() + "/"


@app.command()
def publish(
    ctx: typer.Context,
    routines: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Routine files, or folders of them (default: routines/).",
            show_default=False,
            metavar="ROUTINES",
        ),
    ] = None,
    site: Annotated[Path, typer.Option("--output", "-o", help="The site's folder.")] = DEFAULT_SITE,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            callback=_base_url,
            help="The address the site will be served from, for the feed's links.",
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title", help="The title of the site and of its podcast.", show_default=False
        ),
    ] = None,
    build_dir: Annotated[
        Path, typer.Option("--build-dir", help="Folder for the builds (build's -o).")
    ] = api.DEFAULT_OUT_DIR,
    force: Annotated[bool, typer.Option("--force", help="Build every routine again.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per core)."),
    ] = None,
) -> None:
    """Build what is out of date and write a static site: player pages and a podcast feed."""
    from voiceroutine.share.publish import publish as publish_site
    from voiceroutine.share.publish import routine_files
    from voiceroutine.share.site import SiteSettings

    state = _state(ctx)
    if title is not None and not title.strip():
        raise typer.BadParameter("the title is empty", param_hint="--title")
    files = _run(ctx, lambda: routine_files(routines or [DEFAULT_ROUTINES]))
    options = api.BuildOptions(out_dir=build_dir, force=force, allowances=state.allowances)
    settings = SiteSettings(base_url=base_url)
    if title:
        settings = replace(settings, title=title.strip())
    with _progress(state) as progress:
        progress("Routines", 0, len(files))
        done = built = 0

        def report(outcome: Outcome) -> None:
            nonlocal done, built
            done += 1
            progress("Routines", done, len(files))
            if outcome.result is not None:
                built += 1
                _report_build(state, outcome.path, outcome.result)

        def unfinished() -> str:
            return (
                f"{built} of {_count(len(files), 'routine')} built (listed above); "
                f"the site {site} was left as it was"
            )

        jobs = jobs or default_jobs()
        _, removed = _run(
            ctx, lambda: publish_site(files, site, settings, options, jobs, report), unfinished
        )
    name = escape(str(site))
    if removed:
        state.err.print(
            f"note: {name} no longer has {', '.join(escape(slug) for slug in removed)}: a site "
            "holds the routines published last; publish them together to keep them"
        )
    state.out.print(
        f"[green]published[/] {name}: {_count(len(files), 'routine')}, "
        f"index.html and feed.xml; to listen on a phone: voiceroutine serve {name}"
    )


@app.command()
def serve(
    ctx: typer.Context,
    site: Annotated[
        Path, typer.Argument(help="A folder that publish wrote.", metavar="SITE")
    ] = DEFAULT_SITE,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0 picks a free one).")
    ] = 8000,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on; 127.0.0.1 keeps it to this machine."),
    ] = "0.0.0.0",
) -> None:
    """Serve a published site on the local network; print its address and a QR code."""
    import os

    from voiceroutine.share.serve import make_server, qr_code, serve_until_stopped, site_url

    state = _state(ctx)
    server = _run(ctx, lambda: make_server(site, host, port), lambda: "the server did not start")
    try:
        address = site_url(server)
        state.out.print(f"Serving {escape(str(site))} at [bold]{escape(address)}[/]")
        state.out.print(f"Podcast feed: {escape(address)}feed.xml")
        colours = state.out.is_terminal and "NO_COLOR" not in os.environ
        sys.stdout.write(qr_code(address, colours))
        if address.startswith(("http://127.", "http://[::1]")):
            state.out.print(
                "Only this machine can open it (--host 0.0.0.0 opens it to the network)."
            )
        else:
            state.out.print("Scan the code with a phone on the same network, or type the address.")
        state.out.print("Press Ctrl-C to stop.")
        sys.stdout.flush()
        serve_until_stopped(server)
    except (KeyboardInterrupt, Terminated):  # stopped before it was serving: the same end
        server.server_close()
    state.out.print("stopped")


def _dosing(entry: object) -> str:
    reps = getattr(entry, "reps", None) or 1
    hold = getattr(entry, "hold", None)
    tempo = getattr(entry, "tempo", None)
    each = f"hold {hold / 1000:g} s" if hold else f"{(tempo or 0) / 1000:g} s each"
    sides = getattr(entry, "sides", None)
    if sides in ("left", "right"):
        return f"{reps} x {each}, {sides} side only"
    return f"{reps} x {each}" + (f", {sides} sides" if sides and sides != "none" else "")


def _what(cue: Cue) -> str:
    """What a cue says, or which sound it plays."""
    if cue.text is not None:
        return cue.text
    return f"({cue.sound.label})" if cue.sound else ""


def _clock(ms: int) -> str:
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes}:{rest / 1000:06.3f}"


def _print_source_warning(state: _State, warning: SourceWarning) -> None:
    state.err.print(f"[yellow]warning:[/] {escape(str(warning))}")


def _print_warnings(state: _State, path: Path, timeline: Timeline) -> None:
    """Each distinct warning once, with the time it first happens and how often."""
    seen: dict[str, list[int]] = {}
    for warning in timeline.warnings:
        seen.setdefault(warning.message, []).append(warning.at_ms)
    for message, times in seen.items():
        often = f" ({len(times)} times)" if len(times) > 1 else ""
        where = f"{escape(str(path))}: at {_clock(times[0])}"
        state.err.print(f"[yellow]warning:[/] {where}: {escape(message)}{often}")


def _table(title: str | Text) -> "Table":
    """An empty table; rich.table is imported only by the commands that print one."""
    from rich.table import Table

    return Table(title=title)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@contextmanager
def _progress(state: _State) -> Iterator[api.Progress]:
    """A progress bar on the terminal (nothing when output is not a terminal)."""
    if not state.err.is_terminal:
        yield lambda stage, done, total: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=state.err,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        yield update


def main() -> None:
    unwind_on_sigterm()
    try:
        app()
    finally:
        # The process ends here and the system frees its memory. Without this, the
        # interpreter's last garbage collections walk every object the imports made:
        # about 30 ms at every exit, an eighth of an up-to-date build.
        gc.freeze()
