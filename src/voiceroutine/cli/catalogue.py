"""What there is to build with: voices, exercises, breathing patterns, a new routine, the schema."""

# No `from __future__ import annotations`: typer reads these annotations at every start.
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voiceroutine.cli.app import app
from voiceroutine.cli.options import LanguageOption
from voiceroutine.cli.output import count, load_api, plain, run, table, terminal

if TYPE_CHECKING:
    from voiceroutine.routine import ExerciseDefinition


voices_app = typer.Typer(
    help="List every voice by language; add or remove a Piper voice.", no_args_is_help=False
)
app.add_typer(voices_app, name="voices")


@voices_app.callback(invoke_without_command=True)
def voices(
    ctx: typer.Context,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Only this speech engine (default: every one).")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Only voices for this language, such as en.")
    ] = None,
) -> None:
    """List every voice of every engine by language, marking the one each language speaks with
    when a routine names no engine or voice."""
    if ctx.invoked_subcommand:
        return
    api = load_api(ctx)

    term = terminal(ctx)
    offered = run(ctx, lambda: api.voices(engine, language))
    if language and not any(found.voices for found in offered):
        raise typer.BadParameter(
            f"no installed voice speaks '{language}' (a language tag such as en, de or pt-br)",
            param_hint="--language",
        )
    for found in offered:
        if found.unavailable is not None:
            term.out.print(plain(found.unavailable))
    rows = run(ctx, lambda: api.voices_by_language(offered))
    if not rows:
        return
    columns = ["language", "engine", "id", "name", "default"]
    speakers = any(row.voice.speakers for row in rows)
    if speakers:
        columns.insert(4, "speakers")
    shown = table(count(len(rows), "voice"))
    for column in columns:
        shown.add_column(column, no_wrap=column in ("language", "id"))
    for row in rows:
        cells = [row.language, row.engine, row.voice.id, row.voice.name]
        if speakers:
            cells.append(", ".join(row.voice.speakers))
        cells.append("default" if row.default else "")
        shown.add_row(*(plain(cell) for cell in cells))
    term.out.print(shown)


@voices_app.command("add")
def voices_add(
    ctx: typer.Context,
    model: Annotated[
        Path,
        typer.Argument(
            metavar="PATH.onnx", help="A Piper voice's model, with its .onnx.json beside it."
        ),
    ],
) -> None:
    """Install a Piper voice you downloaded, once it loads and speaks; routines in its language
    then speak with it."""
    api = load_api(ctx)

    term = terminal(ctx)
    added = run(ctx, lambda: api.add_voice(model))
    speakers = f", {count(added.speaker_count, 'speaker')}" if added.speaker_count > 1 else ""
    quality = f", {added.quality} quality" if added.quality else ""
    term.done(
        "added",
        f"{added.file.id}  ({added.language}, {added.sample_rate} Hz{quality}{speakers}) "
        f"to {added.file.model.parent}",
    )


@voices_app.command("remove")
def voices_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The id of a voice you added.")],
) -> None:
    """Remove a voice added with `voices add`."""
    api = load_api(ctx)

    term = terminal(ctx)
    removed = run(ctx, lambda: api.remove_voice(name))
    term.done("removed", f"{removed.name.removesuffix('.onnx')}  ({removed.parent})")


exercises_app = typer.Typer(
    help="List the exercise catalogue, or show one exercise.", no_args_is_help=False
)
app.add_typer(exercises_app, name="exercises")


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
    api = load_api(ctx)

    term = terminal(ctx)
    catalogue = run(ctx, lambda: api.catalogue(language))
    entries = [e for e in catalogue.exercises.values() if target is None or target in e.targets]
    if not entries:
        known = sorted({t for e in catalogue.exercises.values() for t in e.targets})
        term.error(f"no exercise targets '{target or ''}'; targets: {', '.join(known)}")
        raise typer.Exit(1)
    shown = table(count(len(entries), "exercise"))
    shown.add_column("id", no_wrap=True)  # the id is what a routine names: never cut it
    for column in ("name", "position", "targets", "dosing"):
        shown.add_column(column)
    for entry in sorted(entries, key=lambda e: e.id):
        cells = (entry.id, entry.name, entry.position or "", ", ".join(entry.targets))
        shown.add_row(*(plain(cell) for cell in cells), plain(_dosing(entry)))
    term.out.print(shown)


@exercises_app.command("show")
def exercise_show(
    ctx: typer.Context,
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="An exercise id.")],
    language: LanguageOption = "en",
) -> None:
    """Print one exercise as a routine step in YAML, ready to paste under steps: and adapt."""
    api = load_api(ctx)

    entry = run(ctx, lambda: api.exercise(exercise_id, language))
    sys.stdout.write(api.exercise_step_yaml(entry))


def _dosing(entry: "ExerciseDefinition") -> str:
    """`3 x hold 20 s, both sides`: an exercise's dose as the catalogue writes it."""
    reps = entry.reps or 1
    each = (
        f"hold {entry.hold / 1000:g} s" if entry.hold else f"{(entry.tempo or 0) / 1000:g} s each"
    )
    if entry.sides in ("left", "right"):
        return f"{reps} x {each}, {entry.sides} side only"
    both = entry.sides and entry.sides != "none"
    return f"{reps} x {each}" + (f", {entry.sides} sides" if both else "")


@app.command()
def breathing(ctx: typer.Context, language: LanguageOption = "en") -> None:
    """List the built-in breathing patterns."""
    api = load_api(ctx)

    catalogue = run(ctx, lambda: api.catalogue(language))
    shown = table("breathing patterns")
    for column in ("id", "name", "in / top-up / hold / out / hold", "cycles"):
        shown.add_column(column)
    for entry in catalogue.breathing.values():
        phases = (entry.inhale, entry.top_up, entry.hold, entry.exhale, entry.hold_out)
        shown.add_row(
            plain(entry.id),
            plain(entry.name or ""),
            " / ".join(f"{ms / 1000:g}" for ms in phases),
            str(entry.cycles or ""),
        )
    terminal(ctx).out.print(shown)


@app.command()
def new(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to create.")],
    source: Annotated[
        str | None,
        typer.Option("--from", help="Start from a bundled example (such as evening) or a file."),
    ] = None,
    program: Annotated[
        bool, typer.Option("--program", help="Start a program: a course of sessions over weeks.")
    ] = False,
) -> None:
    """Write a new routine or program file to edit (never overwrites a file)."""
    api = load_api(ctx)

    if program and source is not None:
        raise typer.BadParameter(
            "--from names the file to start from; --program starts from the starter program "
            "(bundled programs such as six-week-back are --from examples)",
            param_hint="--program",
        )
    run(ctx, lambda: api.new_routine(file, source, program))
    terminal(ctx).done("wrote", f"{file}; check it with: voiceroutine check {file}")


@app.command()
def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of the routine format (for editors that validate YAML)."""
    api = load_api(ctx)

    sys.stdout.write(json.dumps(api.routine_schema(), indent=2, ensure_ascii=False) + "\n")
