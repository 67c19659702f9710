"""Tag an encoded session with mutagen: title and such, cover, chapters, and the routine itself.

ffmpeg writes the audio (and, for MP4, the chapter track); everything else
is written here, after encoding, so every format is tagged the same way.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceroutine.errors import Place, VoiceroutineError

ROUTINE_KEY = "voiceroutine:routine"
BUILD_KEY = "voiceroutine:build"
MP4_ROUTINE = "----:org.voiceroutine:routine"
MP4_BUILD = "----:org.voiceroutine:build"
VORBIS_ROUTINE = "VOICEROUTINE_ROUTINE"
VORBIS_BUILD = "VOICEROUTINE_BUILD"
ID3_UTF16 = 1


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start_ms: int
    end_ms: int


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
    """A digest of everything the build was made from."""
    cover: bytes | None = None
    """PNG or JPEG bytes."""


def write_tags(
    path: Path, audio_format: str, tags: SessionTags, chapters: Sequence[ChapterMark]
) -> None:
    """Write `tags` and `chapters` into the encoded file at `path` (mp3, m4a, m4b, ...)."""
    import mutagen

    writers = {
        "mp3": _write_mp3,
        "wav": _write_wave,
        "m4a": _write_mp4,
        "m4b": _write_mp4,
        "opus": _write_ogg,
        "ogg": _write_ogg,
        "flac": _write_flac,
    }
    try:
        writers[audio_format](path, tags, chapters)
    except (mutagen.MutagenError, OSError) as error:
        raise VoiceroutineError(f"cannot tag the audio file: {error}", Place(path)) from None


def read_routine_source(path: Path) -> str:
    """The routine YAML a build embedded in `path`."""
    source = _read_value(path, ROUTINE_KEY)
    if source is None:
        raise VoiceroutineError(
            "no routine in this file (was it built by voiceroutine?)", Place(path)
        )
    return source


def read_build_id(path: Path) -> str | None:
    """The build id embedded in `path`, or None (no file, not audio, or no id)."""
    try:
        return _read_value(path, BUILD_KEY)
    except VoiceroutineError:
        return None


def _read_value(path: Path, key: str) -> str | None:
    import mutagen
    from mutagen.mp4 import MP4
    from mutagen.wave import WAVE

    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError) as error:
        raise VoiceroutineError(f"cannot read the audio file: {error}", Place(path)) from None
    if audio is None or audio.tags is None:
        return None
    if isinstance(audio, MP4):
        name = MP4_ROUTINE if key == ROUTINE_KEY else MP4_BUILD
        values = audio.tags.get(name)
        return bytes(values[0]).decode("utf-8") if values else None
    if hasattr(audio.tags, "getall") or isinstance(audio, WAVE):
        frames = audio.tags.getall(f"TXXX:{key}")
        return "\n".join(frames[0].text) if frames else None
    values = audio.tags.get(VORBIS_ROUTINE if key == ROUTINE_KEY else VORBIS_BUILD)
    return values[0] if values else None


def _id3_frames(tags: SessionTags) -> list[Any]:
    from mutagen.id3 import APIC, COMM, TALB, TCON, TIT2, TPE1, TXXX, TYER

    frames: list[Any] = [
        TIT2(encoding=ID3_UTF16, text=tags.title),
        TPE1(encoding=ID3_UTF16, text=tags.artist),
        TALB(encoding=ID3_UTF16, text=tags.album),
        TCON(encoding=ID3_UTF16, text=tags.genre),
    ]
    if tags.year:
        frames.append(TYER(encoding=ID3_UTF16, text=tags.year))
    if tags.comment:
        frames.append(COMM(encoding=ID3_UTF16, lang="eng", desc="", text=tags.comment))
    # One string per frame: ID3 v2.3 would split a value at "/" into several.
    if tags.routine_source is not None:
        frames.append(TXXX(encoding=ID3_UTF16, desc=ROUTINE_KEY, text=[tags.routine_source]))
    if tags.build_id is not None:
        frames.append(TXXX(encoding=ID3_UTF16, desc=BUILD_KEY, text=[tags.build_id]))
    if tags.cover:
        frames.append(
            APIC(encoding=ID3_UTF16, mime=_mime(tags.cover), type=3, desc="Cover", data=tags.cover)
        )
    return frames


def _write_mp3(path: Path, tags: SessionTags, chapters: Sequence[ChapterMark]) -> None:
    from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags, ID3NoHeaderError

    try:
        id3 = ID3(path)
    except ID3NoHeaderError:
        id3 = ID3()
    id3.delete(path)
    id3.clear()
    for frame in _id3_frames(tags):
        id3.add(frame)
    ids = [f"chp{index}" for index in range(len(chapters))]
    for element_id, chapter in zip(ids, chapters, strict=True):
        title = TIT2(encoding=ID3_UTF16, text=chapter.title)
        id3.add(CHAP(element_id=element_id, start_time=chapter.start_ms,
                     end_time=chapter.end_ms, sub_frames=[title]))  # fmt: skip
    if chapters:
        id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                     child_element_ids=ids, sub_frames=[]))  # fmt: skip
    id3.save(path, v2_version=3)
    _chapters_in_time_order(path)


def _chapters_in_time_order(path: Path) -> None:
    """Rewrite the ID3v2.3 tag at the start of `path` with its CHAP frames in time order.

    mutagen sorts frames by size when it saves, and players that read CHAP
    frames in file order (ffmpeg's) then list chapters out of order. The
    frames keep their bytes and the tag its length; only their order changes.
    """
    with open(path, "r+b") as file:
        header = file.read(10)
        if header[:3] != b"ID3" or header[3] != 3 or header[5] & 0xC0:
            return  # not a plain v2.3 tag: nothing that mutagen wrote here
        size = _syncsafe(header[6:10])
        body = file.read(size)
        frames: list[bytes] = []
        offset = 0
        while offset + 10 <= len(body) and body[offset] != 0:
            length = struct.unpack(">I", body[offset + 4 : offset + 8])[0]
            frames.append(body[offset : offset + 10 + length])
            offset += 10 + length
        slots = [index for index, frame in enumerate(frames) if frame[:4] == b"CHAP"]
        ordered = sorted((frames[index] for index in slots), key=_chap_start)
        for index, frame in zip(slots, ordered, strict=True):
            frames[index] = frame
        file.seek(10)
        file.write(b"".join(frames))


def _chap_start(frame: bytes) -> int:
    data = frame[10:]
    end = data.index(b"\0")
    return int(struct.unpack(">I", data[end + 1 : end + 5])[0])


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _write_wave(path: Path, tags: SessionTags, chapters: Sequence[ChapterMark]) -> None:
    from mutagen.wave import WAVE

    audio = WAVE(path)
    if audio.tags is None:
        audio.add_tags()
    for frame in _id3_frames(tags):
        audio.tags.add(frame)
    audio.save(v2_version=3)


def _write_mp4(path: Path, tags: SessionTags, chapters: Sequence[ChapterMark]) -> None:
    from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    values: dict[str, Any] = {
        "\xa9nam": [tags.title],
        "\xa9ART": [tags.artist],
        "\xa9alb": [tags.album],
        "\xa9gen": [tags.genre],
    }
    if tags.year:
        values["\xa9day"] = [tags.year]
    if tags.comment:
        values["\xa9cmt"] = [tags.comment]
        values["desc"] = [tags.comment]
    if tags.routine_source is not None:
        values[MP4_ROUTINE] = [MP4FreeForm(tags.routine_source.encode("utf-8"))]
    if tags.build_id is not None:
        values[MP4_BUILD] = [MP4FreeForm(tags.build_id.encode("utf-8"))]
    if tags.cover:
        kind = MP4Cover.FORMAT_PNG if _mime(tags.cover) == "image/png" else MP4Cover.FORMAT_JPEG
        values["covr"] = [MP4Cover(tags.cover, imageformat=kind)]
    audio.tags.update(values)
    audio.save()


def _vorbis_comments(tags: SessionTags, chapters: Sequence[ChapterMark]) -> dict[str, list[str]]:
    comments = {
        "TITLE": [tags.title],
        "ARTIST": [tags.artist],
        "ALBUM": [tags.album],
        "GENRE": [tags.genre],
    }
    if tags.year:
        comments["DATE"] = [tags.year]
    if tags.comment:
        comments["COMMENT"] = [tags.comment]
        comments["DESCRIPTION"] = [tags.comment]
    if tags.routine_source is not None:
        comments[VORBIS_ROUTINE] = [tags.routine_source]
    if tags.build_id is not None:
        comments[VORBIS_BUILD] = [tags.build_id]
    for index, chapter in enumerate(chapters):
        comments[f"CHAPTER{index:03d}"] = [_clock(chapter.start_ms)]
        comments[f"CHAPTER{index:03d}NAME"] = [chapter.title]
    return comments


def _picture(cover: bytes) -> Any:
    from mutagen.flac import Picture

    picture = Picture()
    picture.type = 3
    picture.mime = _mime(cover)
    picture.desc = "Cover"
    picture.data = cover
    return picture


def _write_ogg(path: Path, tags: SessionTags, chapters: Sequence[ChapterMark]) -> None:
    import mutagen

    audio = mutagen.File(path)
    if audio is None:
        raise VoiceroutineError("not an Ogg file after encoding", Place(path))
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()  # ffmpeg's own chapter comments have wrong times for Opus
    audio.tags.update(_vorbis_comments(tags, chapters))
    if tags.cover:
        encoded = base64.b64encode(_picture(tags.cover).write()).decode("ascii")
        audio.tags["METADATA_BLOCK_PICTURE"] = [encoded]
    audio.save()


def _write_flac(path: Path, tags: SessionTags, chapters: Sequence[ChapterMark]) -> None:
    from mutagen.flac import FLAC

    audio = FLAC(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    audio.tags.update(_vorbis_comments(tags, chapters))
    audio.clear_pictures()
    if tags.cover:
        audio.add_picture(_picture(tags.cover))
    audio.save()


def _mime(image: bytes) -> str:
    return "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"


def _clock(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest / 1000:06.3f}"
