"""Publish routines: build whatever is out of date, then write the site from the built files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from voiceroutine.errors import VoiceroutineError
from voiceroutine.share.episodes import episode
from voiceroutine.share.site import SiteSettings, write_site

if TYPE_CHECKING:  # the builds come from api.publish, which this module is below
    from voiceroutine.batch import Outcome
    from voiceroutine.build import BuildOptions

ROUTINE_SUFFIXES = (".yaml", ".yml")


def routine_files(inputs: Sequence[Path]) -> list[Path]:
    """The routine files named: files as given, and the routines in each folder given.

    In a folder, a YAML file without `steps:` (such as an exercise library) is
    not a routine and is left out.
    """
    found: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found += [
                file
                for file in sorted(path.iterdir())
                if file.suffix.lower() in ROUTINE_SUFFIXES and file.is_file() and _has_steps(file)
            ]
        elif path.is_file():
            found.append(path)
        else:
            raise VoiceroutineError(f"no routine file or folder {path}")
    if not found:
        named = ", ".join(str(path) for path in inputs)
        raise VoiceroutineError(f"no routine files (*.yaml) in {named}")
    return list(dict.fromkeys(found))


def _has_steps(path: Path) -> bool:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return True  # let the build report what is wrong with it
    return not isinstance(data, dict) or "steps" in data


def publish(
    routines: Sequence[Path],
    site: Path,
    settings: SiteSettings,
    options: BuildOptions,
    build_all: Callable[[Sequence[Path]], list[Outcome[Path]]],
) -> tuple[list[Outcome[Path]], list[str]]:
    """Build the routines with `build_all` into `options.out_dir`, then write the site.

    Returns the outcomes and the routines published there before that the new
    site leaves out. When any routine fails to build, the site is left as it
    was and the error carries every failed routine's message, one a line.
    """
    check_site_folder(site, [*routines, options.out_dir])
    outcomes = build_all(routines)
    failed = [outcome.error or str(outcome.job) for outcome in outcomes if not outcome.result]
    if failed:
        raise VoiceroutineError("\n".join(failed))
    episodes = [
        episode(outcome.job, outcome.result, options.allowances)
        for outcome in outcomes
        if outcome.result
    ]
    removed = write_site(site, episodes, settings)
    return outcomes, removed


def check_site_folder(site: Path, inputs: Sequence[Path]) -> None:
    """The site is replaced whole: it must not hold the routines, the builds or this folder."""
    folder = site.resolve()
    for path in [Path.cwd(), *inputs]:
        resolved = path.resolve()
        if resolved == folder or folder in resolved.parents:
            raise VoiceroutineError(
                f"the site folder {site} would hold {path}; give the site a folder of its own"
            )
