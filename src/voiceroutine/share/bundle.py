"""Pack one built routine into a zip to send: the audio, its cover, chapters and the YAML."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from pathlib import Path

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.api import BuildResult
from voiceroutine.errors import VoiceroutineError


def share_zip(routine: Path, result: BuildResult, allowances: Allowances = NO_ALLOWANCES) -> Path:
    """Write `<stem>.zip` beside the audio (atomically) and return its path.

    Inside, one folder named after the routine holds the audio, the cover
    (when the routine has one), the Podcasting 2.0 chapters, the routine file
    and the exercise library it names, so the receiver can listen or rebuild.
    """
    from voiceroutine.loader import load_routine

    parsed = load_routine(routine, allowances)
    stem = routine.stem
    members: list[tuple[Path, str, int]] = [
        (result.audio, result.audio.name, zipfile.ZIP_STORED),  # audio does not compress
        (routine, routine.name, zipfile.ZIP_DEFLATED),
    ]
    if result.chapters_file:
        members.append((result.chapters_file, result.chapters_file.name, zipfile.ZIP_DEFLATED))
    if parsed.cover:
        cover = Path(parsed.cover)
        members.append((cover, f"cover{cover.suffix.lower()}", zipfile.ZIP_STORED))
    if parsed.library:
        library = (routine.parent / parsed.library).resolve()
        members.append((library, library.name, zipfile.ZIP_DEFLATED))
    target = result.audio.with_name(f"{stem}.zip")
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    partial = Path(name)
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for source, member, method in dict.fromkeys(members):
                archive.write(source, f"{stem}/{member}", compress_type=method)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except OSError as error:
        raise VoiceroutineError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return target
