"""Tag an encoded session with mutagen (text, cover, chapters, the routine) and read it back."""

from __future__ import annotations

import base64
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import mutagen

from voiceroutine.audio.formats import FORMATS, TagStyle, format_of_suffix
from voiceroutine.audio.id3order import put_chapters_in_time_order
from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.timeline import ChapterSpan

if TYPE_CHECKING:
    from mutagen.flac import Picture
    from mutagen.id3 import Frame

# mutagen's format modules are imported by the functions that use them: checking whether
# a build is up to date reads one format, and importing all of them would take 20 ms more.

ROUTINE = "routine"
LIBRARY = "library"
BUILD = "build"
VOICE = "voice"
UTF16 = 1
"""ID3 v2.3 has no UTF-8: its text frames are written in UTF-16."""
FRONT_COVER = 3


@dataclass(frozen=True)
class SessionTags:
    title: str
    artist: str
    album: str
    genre: str
    year: str | None
    comment: str | None
    """The routine's description."""
    routine_source: str | None
    """The routine YAML exactly as written, for `voiceroutine extract`."""
    build_id: str | None
    """A hex digest of everything the build was made from."""
    cover: bytes | None = None
    """PNG or JPEG bytes."""
    library_source: str | None = None
    """The routine's `library:` file exactly as written, so that an extracted routine builds."""
    voice: str | None = None
    """The voice that speaks, as `engine voice (language)`: `piper en_US-joe-medium (en)`."""


Writer = Callable[[Path, SessionTags, Sequence[ChapterSpan]], None]


def write_tags(
    path: Path, audio_format: str, tags: SessionTags, chapters: Sequence[ChapterSpan]
) -> None:
    """Write `tags` and `chapters` into the file ffmpeg encoded at `path`.

    `audio_format` names a format of the registry (formats.py), whose tag style
    says how: MP4 chapters are ffmpeg's (written at encode time) and are kept;
    WAV gets no chapters.
    """
    registered = FORMATS.get(audio_format)
    if registered is None:
        raise VoiceroutineError(f"cannot tag {audio_format!r} files", Place(path))
    writers: dict[TagStyle, Writer] = {
        "id3": _write_mp3,
        "id3-chunk": _write_wav,
        "mp4": _write_mp4,
        "vorbis-comments": _write_vorbis_comments,
    }
    ordered = sorted(chapters, key=lambda chapter: (chapter.start_ms, chapter.end_ms))
    try:
        writers[registered.tag_style](path, tags, ordered)
    except (mutagen.MutagenError, OSError) as error:
        raise VoiceroutineError(f"cannot tag the audio file: {error}", Place(path)) from None


def read_routine_source(path: Path) -> str:
    """The routine YAML that write_tags embedded in `path`, exactly as it was written."""
    source = _read_stored(path, ROUTINE)
    if source is None:
        raise VoiceroutineError(
            "no routine in this file (was it built by voiceroutine?)", Place(path)
        )
    return source


def read_library_source(path: Path) -> str | None:
    """The `library:` file that write_tags embedded in `path` beside its routine, if any."""
    return _read_stored(path, LIBRARY)


def read_voice(path: Path) -> str | None:
    """The voice that write_tags named in `path`, or None."""
    return _read_stored(path, VOICE)


def read_build_id(path: Path) -> str | None:
    """The build id that write_tags embedded in `path`; None if none can be read."""
    try:
        return _read_stored(path, BUILD)
    except VoiceroutineError:
        return None


def _file_types(suffix: str) -> list[type[mutagen.FileType]]:
    """The mutagen classes a file with this extension is read with: its own, else all."""
    own = format_of_suffix(suffix)
    names = (
        [own.mutagen_type]
        if own is not None
        else list(dict.fromkeys(f.mutagen_type for f in FORMATS.values()))
    )
    return [getattr(importlib.import_module(module), name) for module, name in names]


def _read_stored(path: Path, field: str) -> str | None:
    """A text that write_tags stored under `field`; VoiceroutineError if `path` cannot be read."""
    try:
        suffix = path.suffix.lower()
        audio = mutagen.File(path, options=_file_types(suffix))
        if audio is None and format_of_suffix(suffix) is not None:  # misnamed: try every format
            audio = mutagen.File(path, options=_file_types(""))
        return None if audio is None or audio.tags is None else _stored(audio, field)
    except (mutagen.MutagenError, OSError, ValueError) as error:
        raise VoiceroutineError(f"cannot read the audio file: {error}", Place(path)) from None


def _stored(audio: mutagen.FileType, field: str) -> str | None:
    from mutagen.id3 import ID3

    if "audio/mp4" in audio.mime:
        atoms = audio.tags.get(f"----:org.voiceroutine:{field}")
        return bytes(atoms[0]).decode("utf-8") if atoms else None
    if isinstance(audio.tags, ID3):  # MP3 and WAV
        frames = audio.tags.getall(f"TXXX:voiceroutine:{field}")
        return "\0".join(frames[0].text) if frames else None  # mutagen splits text at NULs
    values = audio.tags.get(f"VOICEROUTINE_{field.upper()}")  # Vorbis comments
    return values[0] if values else None


def _stored_texts(tags: SessionTags) -> list[tuple[str, str | None]]:
    """voiceroutine's own fields, each a text stored under its name."""
    return [
        (ROUTINE, tags.routine_source),
        (LIBRARY, tags.library_source),
        (BUILD, tags.build_id),
        (VOICE, tags.voice),
    ]


def _id3_frames(tags: SessionTags) -> list[Frame]:
    """The ID3 frames of `tags` for MP3 and WAV, chapters aside."""
    from mutagen.id3 import APIC, COMM, TALB, TCON, TIT2, TPE1, TXXX, TYER

    frames: list[Frame] = [
        TIT2(encoding=UTF16, text=tags.title),
        TPE1(encoding=UTF16, text=tags.artist),
        TALB(encoding=UTF16, text=tags.album),
        TCON(encoding=UTF16, text=tags.genre),
    ]
    if tags.year:
        frames.append(TYER(encoding=UTF16, text=tags.year))
    if tags.comment:
        frames.append(COMM(encoding=UTF16, lang="eng", desc="", text=tags.comment))
    # One string per frame: several would be joined with "/" in v2.3.
    for field, value in _stored_texts(tags):
        if value is not None:
            frames.append(TXXX(encoding=UTF16, desc=f"voiceroutine:{field}", text=[value]))
    if tags.cover:
        mime = _mime(tags.cover)
        frames.append(APIC(encoding=UTF16, mime=mime, type=FRONT_COVER, desc="", data=tags.cover))
    return frames


def _chapter_frames(chapters: Sequence[ChapterSpan]) -> list[Frame]:
    """One CHAP per chapter and a top-level, ordered CTOC listing them in time order."""
    from mutagen.id3 import CHAP, CTOC, TIT2, CTOCFlags

    if not chapters:
        return []
    ids = [f"chp{index}" for index in range(len(chapters))]
    frames: list[Frame] = [
        CHAP(
            element_id=element_id,
            start_time=chapter.start_ms,
            end_time=chapter.end_ms,
            sub_frames=[TIT2(encoding=UTF16, text=chapter.title)],
        )
        for element_id, chapter in zip(ids, chapters, strict=True)
    ]
    flags = CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    frames.append(CTOC(element_id="toc", flags=flags, child_element_ids=ids, sub_frames=[]))
    return frames


def _write_mp3(path: Path, tags: SessionTags, chapters: Sequence[ChapterSpan]) -> None:
    from mutagen.mp3 import MP3

    audio = MP3(path)  # fails on a file with no MPEG audio, where ID3 alone would not
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()  # ffmpeg's TSSE
    for frame in _id3_frames(tags) + _chapter_frames(chapters):
        audio.tags.add(frame)
    audio.save(v2_version=3)
    put_chapters_in_time_order(path)


def _write_wav(path: Path, tags: SessionTags, chapters: Sequence[ChapterSpan]) -> None:
    from mutagen.wave import WAVE

    audio = WAVE(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    for frame in _id3_frames(tags):
        audio.tags.add(frame)
    audio.save(v2_version=3)


def _write_mp4(path: Path, tags: SessionTags, chapters: Sequence[ChapterSpan]) -> None:
    """MP4 atoms; the chapters ffmpeg wrote (a text track and a chpl atom) stay untouched."""
    from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    audio.tags.update(
        {"\xa9nam": [tags.title], "\xa9ART": [tags.artist], "\xa9alb": [tags.album],
         "\xa9gen": [tags.genre]}
    )  # fmt: skip
    if tags.year:
        audio.tags["\xa9day"] = [tags.year]
    if tags.comment:
        audio.tags["\xa9cmt"] = [tags.comment]
        audio.tags["desc"] = [tags.comment]  # what podcast apps show
    for field, value in _stored_texts(tags):
        if value is not None:
            audio.tags[f"----:org.voiceroutine:{field}"] = [MP4FreeForm(value.encode("utf-8"))]
    if tags.cover:
        png = _mime(tags.cover) == "image/png"
        kind = MP4Cover.FORMAT_PNG if png else MP4Cover.FORMAT_JPEG
        audio.tags["covr"] = [MP4Cover(tags.cover, imageformat=kind)]
    audio.save()


def _write_vorbis_comments(path: Path, tags: SessionTags, chapters: Sequence[ChapterSpan]) -> None:
    """Vorbis comments for Ogg Vorbis, Opus and FLAC, with chapters as CHAPTERnnn."""
    from mutagen.flac import FLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    audio = mutagen.File(path, options=[OggOpus, OggVorbis, FLAC])
    if audio is None:
        raise mutagen.MutagenError("not an Ogg or FLAC file")
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()  # ffmpeg's own comments, chapters included (with wrong times for Opus)
    for key, value in _vorbis_comments(tags, chapters):
        audio.tags[key] = [value]
    if isinstance(audio, FLAC):
        audio.clear_pictures()
        if tags.cover:
            audio.add_picture(_picture(tags.cover))
    elif tags.cover:
        block = base64.b64encode(_picture(tags.cover).write()).decode("ascii")
        audio.tags["METADATA_BLOCK_PICTURE"] = [block]
    audio.save()


def _vorbis_comments(tags: SessionTags, chapters: Sequence[ChapterSpan]) -> list[tuple[str, str]]:
    comments = [
        ("TITLE", tags.title),
        ("ARTIST", tags.artist),
        ("ALBUM", tags.album),
        ("GENRE", tags.genre),
        ("DATE", tags.year or None),
        ("COMMENT", tags.comment or None),
        ("DESCRIPTION", tags.comment or None),
        *((f"VOICEROUTINE_{field.upper()}", value) for field, value in _stored_texts(tags)),
    ]
    for index, chapter in enumerate(chapters):
        comments.append((f"CHAPTER{index:03d}", _vorbis_time(chapter.start_ms)))
        comments.append((f"CHAPTER{index:03d}NAME", chapter.title))
    return [(key, value) for key, value in comments if value is not None]


def _picture(cover: bytes) -> Picture:
    from mutagen.flac import Picture

    picture = Picture()
    picture.type = FRONT_COVER
    picture.mime = _mime(cover)
    picture.data = cover
    return picture


def _mime(image: bytes) -> str:
    """PNG or JPEG, by the image's magic number."""
    return "image/png" if image.startswith(b"\x89PNG\r\n\x1a\n") else "image/jpeg"


def _vorbis_time(ms: int) -> str:
    """HH:MM:SS.mmm, as the Vorbis chapter convention writes times."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
