"""Pack one built routine into a zip to send: the audio, chapters, the YAML and its files."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.errors import Place, VoiceroutineError

if TYPE_CHECKING:
    from voiceroutine.build import BuildResult


def share_zip(routine: Path, result: BuildResult, allowances: Allowances = NO_ALLOWANCES) -> Path:
    """Write `<stem>.zip` beside the audio (atomically) and return its path.

    Inside, one folder named after the routine holds the audio, the
    Podcasting 2.0 chapters, the routine file and every file it names (cover,
    exercise library, sounds, music) at the path the routine names it by, so
    the receiver can listen, or unzip it anywhere and rebuild it.
    """
    from voiceroutine.loader import load_routine
    from voiceroutine.share.named import member_path, named_files

    parsed = load_routine(routine, allowances)
    stem = routine.stem
    members: list[tuple[Path, str, int]] = [
        (result.audio, f"{stem}/{result.audio.name}", zipfile.ZIP_STORED),  # does not compress
        (routine, f"{stem}/{routine.name}", zipfile.ZIP_DEFLATED),
    ]
    if result.chapters_file:
        chapters = f"{stem}/{result.chapters_file.name}"
        members.append((result.chapters_file, chapters, zipfile.ZIP_DEFLATED))
    for named in named_files(routine, parsed):
        member = member_path(stem, named)
        if member is None:
            raise VoiceroutineError(
                f"cannot pack '{named.source}': it lies too far outside the routine's folder "
                "for the routine to find it in the zip; copy it beside the routine",
                Place(routine),
            )
        members.append((named.source, member, zipfile.ZIP_DEFLATED))
    target = result.audio.with_name(f"{stem}.zip")
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    partial = Path(name)
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for source, member, method in dict.fromkeys(members):
                archive.write(source, member, compress_type=method)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except OSError as error:
        raise VoiceroutineError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return target
