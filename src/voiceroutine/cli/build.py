"""`voiceroutine build`: one routine or many, each to its audio, timeline and subtitles."""

# No `from __future__ import annotations`: typer reads these annotations at every start.
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voiceroutine.audio.formats import FORMATS
from voiceroutine.cli.app import allow_hours, app
from voiceroutine.cli.options import (
    EngineOption,
    FormatOption,
    MaxHoursOption,
    RateOption,
    RoutineFiles,
    SampleRateOption,
    VoiceOption,
)
from voiceroutine.cli.output import (
    BatchReport,
    PersonReport,
    SessionReport,
    Terminal,
    count,
    load_api,
    print_source_warning,
    progress_bar,
    report_build,
    report_packed,
    report_program,
    run,
    terminal,
)
from voiceroutine.cluster import CLUSTER_ENV
from voiceroutine.names import DEFAULT_OUT_DIR

if TYPE_CHECKING:
    from voiceroutine.batch import Outcome
    from voiceroutine.build import BuildOptions


@app.command()
def build(
    ctx: typer.Context,
    files: RoutineFiles,
    out_dir: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the audio, timeline and subtitles.")
    ] = DEFAULT_OUT_DIR,
    engine: EngineOption = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    audio_format: FormatOption = None,
    loudness: Annotated[
        float | None,
        typer.Option("--loudness", min=-36, max=-10, help="Loudness target in LUFS (default -16)."),
    ] = None,
    bitrate: Annotated[
        int | None, typer.Option("--bitrate", min=16, max=320, help="Bitrate in kbit/s.")
    ] = None,
    sample_rate: SampleRateOption = None,
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
    each: Annotated[
        Path | None,
        typer.Option(
            "--each",
            metavar="PEOPLE.csv",
            help="Build the routine once for each row of this CSV file, its columns filling "
            "the {variables} of the routine, into DIR/<stem>/<id>.mp3 with summary.csv.",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="local|tcp://HOST:8786",
            envvar=CLUSTER_ENV,
            help="With --each: build on a Dask cluster, a LocalCluster here (local) or a running "
            "scheduler; needs the cluster extra.",
        ),
    ] = None,
) -> None:
    """Build DIR/<stem>.mp3 with <stem>.json, <stem>.vtt and <stem>.chapters.json beside it."""
    api = load_api(ctx)

    term = terminal(ctx)
    allow_hours(term, max_hours)
    files = _distinct_routines(files)
    if audio_format is not None:
        _check_format_options(term, audio_format.value, sample_rate, bitrate)
    options = api.BuildOptions(
        out_dir=out_dir,
        audio_format=audio_format.value if audio_format else None,
        voice=api.VoiceOverrides(engine=engine, name=voice, rate=rate),
        loudness=loudness,
        bitrate=bitrate,
        sample_rate=sample_rate,
        force=force,
        allowances=term.allowances,
        share_malloc_arena=True,  # this process's threads mix and check the audio
    )
    jobs = jobs or api.default_jobs()
    if each is not None:
        if len(files) != 1 or share:
            raise typer.BadParameter(
                "--each builds one template for every row of the CSV file: name one routine, "
                "without --share",
                param_hint="--each",
            )
        _build_each(ctx, files[0], each, options, jobs, cluster)
        return
    if cluster is not None and ctx.get_parameter_source("cluster").name == "COMMANDLINE":
        raise typer.BadParameter("--cluster builds an --each batch", param_hint="--cluster")
    programs = [file for file in files if api.is_program(file)]
    if programs and share:
        raise typer.BadParameter(
            f"{programs[0]} is a program: --share packs one routine's session; a program's "
            "files are all in one folder, DIR/<stem>/",
            param_hint="--share",
        )
    for program in programs:
        _build_program(ctx, program, options, jobs)
    files = [file for file in files if file not in programs]
    if not files:
        return
    if len(files) > 1:
        _build_many(ctx, files, options, jobs, share)
        return
    with progress_bar(term) as progress:
        single = replace(options, jobs=jobs)
        result = run(ctx, lambda: api.build(files[0], single, progress=progress))
    report_build(term, files[0], result)
    if share:
        report_packed(term, run(ctx, lambda: api.share_zip(files[0], result, term.allowances)))


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
    term: Terminal, name: str, sample_rate: int | None, bitrate: int | None
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
        term.note(f"--bitrate does not apply to {name}, which is lossless")


def _build_many(
    ctx: typer.Context, files: list[Path], options: "BuildOptions", jobs: int, share: bool
) -> None:
    """Build several routines in parallel, with one progress bar over them all."""
    api = load_api(ctx)

    term = terminal(ctx)

    def pack(outcome: "Outcome[Path]") -> None:
        if outcome.result is not None:
            report_packed(term, api.share_zip(outcome.job, outcome.result, term.allowances))

    with progress_bar(term) as progress:
        report = BatchReport(term, len(files), progress, pack if share else None)
        unfinished = report.unfinished("the others were not written")
        run(ctx, lambda: api.build_many(files, options, jobs, report), unfinished)
    if report.failed:
        raise typer.Exit(1)


def _build_program(ctx: typer.Context, path: Path, options: "BuildOptions", jobs: int) -> None:
    """Build a program's sessions in parallel under one progress bar, then its index."""
    api = load_api(ctx)
    term = terminal(ctx)
    with progress_bar(term) as progress:
        report = SessionReport(term, list_built=True)
        result = run(
            ctx,
            lambda: api.build_program(path, options, jobs, report, progress),
            report.unfinished("the index was not written"),
        )
    report_program(term, result)


def _build_each(
    ctx: typer.Context,
    template: Path,
    people: Path,
    options: "BuildOptions",
    jobs: int,
    cluster: str | None,
) -> None:
    """Build the template for every person, reporting each as it ends, then the totals."""
    api = load_api(ctx)
    term = terminal(ctx)
    with progress_bar(term) as progress:
        report = PersonReport(term)
        result = run(
            ctx,
            lambda: api.build_each(template, people, options, jobs, report, progress, cluster),
            report.unfinished("summary.csv was not written"),
        )
    for warning in result.source_warnings:
        print_source_warning(term, warning)
    term.done(
        "wrote",
        f"{result.summary}  ({result.totals()}; {count(result.spoken, 'line')} spoken for the "
        "batch)",
    )
    if result.failed:
        raise typer.Exit(1)
