"""Put a freshly written folder in place of an old one, keeping the files the user put there.

The tool's own files are listed in a manifest inside the folder. Everything
else in the old folder (the user's files, links and empty folders) is carried
into the new one (hard-linked where possible) before the two are swapped by
renaming, so the folder is always either the old one or the new one, whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from voiceroutine.errors import VoiceroutineError

MANIFEST = ".voiceroutine-site.json"
FOLDER_MODE = 0o755


def replace_folder(target: Path, fill: Callable[[Path], list[str]]) -> None:
    """Write a new `target` with `fill(folder)` (which returns the paths it wrote), then swap.

    Raises VoiceroutineError, leaving `target` as it was, when a file the user
    put in `target` is in the way of one the tool writes.
    """
    target = target.resolve() if target.is_symlink() else target.absolute()
    if target.exists() and not target.is_dir():
        raise VoiceroutineError(f"{target} is not a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    except OSError as error:
        raise VoiceroutineError(f"cannot write beside {target}: {error.strerror}") from None
    try:
        with _os_errors(target):
            written = fill(stage)
            if target.exists():
                _carry_user_files(target, stage, written)
            (stage / MANIFEST).write_text(
                json.dumps({"generator": "voiceroutine", "files": sorted(written)}, indent=1),
                encoding="utf-8",
            )
            os.chmod(stage, FOLDER_MODE)  # mkdtemp makes it private; a site is for sharing
            _swap(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def own_files(folder: Path) -> set[str]:
    """The paths (relative, with /) that the tool wrote in `folder` last time."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    return {name for name in files if isinstance(name, str)} if isinstance(files, list) else set()


def _carry_user_files(old: Path, new: Path, written: list[str]) -> None:
    ours = own_files(old) | {MANIFEST}
    files = set(written)
    folders = {str(parent) for name in written for parent in PurePosixPath(name).parents}
    user = [entry for entry in _entries(old) if entry not in ours]
    clashes = [
        entry
        for entry in user
        if entry in files
        or (entry in folders and not (old / entry).is_dir())
        or any(str(parent) in files for parent in PurePosixPath(entry).parents)
    ]
    if clashes:
        listed = ", ".join(sorted(clashes)[:5])
        raise VoiceroutineError(
            f"{old} holds files that voiceroutine did not write where the site goes: {listed}; "
            "move them, or publish into a new folder"
        )
    for entry in user:
        source, destination = old / entry, new / entry
        if source.is_dir() and not source.is_symlink():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            destination.symlink_to(os.readlink(source))
            continue
        try:
            os.link(source, destination)
        except OSError:
            shutil.copy2(source, destination)


def _entries(folder: Path) -> Iterator[str]:
    """Every file, symlink and empty folder under `folder`, as a relative path with /."""
    for root, dirs, names in os.walk(folder):
        base = Path(root)
        links = [name for name in dirs if (base / name).is_symlink()]
        dirs[:] = [name for name in dirs if name not in links]
        relative = base.relative_to(folder).as_posix()
        for name in [*names, *links]:
            yield name if relative == "." else f"{relative}/{name}"
        if not dirs and not names and not links and relative != ".":
            yield relative


def _swap(stage: Path, target: Path) -> None:
    if not target.exists():
        os.rename(stage, target)
        return
    old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
    os.rename(target, old)
    try:
        os.rename(stage, target)
    except OSError:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _os_errors(target: Path) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        where = error.filename or target
        message = f"cannot write the site {target}: {where}: {error.strerror}"
        raise VoiceroutineError(message) from None
