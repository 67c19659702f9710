"""Tags in every format, read back by mutagen and ffmpeg: text, cover, chapters, the routine."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import Picture

from audio_tools import make_audio_file
from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.tags import (
    ChapterMark,
    SessionTags,
    read_build_id,
    read_routine_source,
    write_tags,
)
from voiceroutine.errors import VoiceroutineError

SOURCE = "title: Tést / one\r\nsteps:\r\n  - say: a=b; c # d \\ e\r\n"
CHAPTERS = [
    ChapterMark("Intro", 0, 1000),
    ChapterMark("A much longer chapter title than any other one here", 1000, 2500),
    ChapterMark("Rest", 2500, 4000),
]
ENCODERS = {
    "mp3": ("-c:a", "libmp3lame", "-id3v2_version", "3"),
    "m4b": ("-c:a", "aac", "-f", "ipod"),
    "opus": ("-c:a", "libopus", "-ar", "48000"),
    "ogg": ("-c:a", "libvorbis"),
    "flac": ("-c:a", "flac"),
    "wav": ("-c:a", "pcm_s16le"),
}


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = make_audio_file(
        tmp_path_factory.mktemp("cover") / "cover.png", "color=c=navy:s=32x32", 0.04,
        "-frames:v", "1",
    )  # fmt: skip
    return path.read_bytes()


def tagged(tmp_path: Path, audio_format: str, cover: bytes) -> Path:
    path = make_audio_file(
        tmp_path / f"s.{audio_format}", "sine=f=440", 4.0, "-ac", "1", *ENCODERS[audio_format]
    )
    tags = SessionTags(
        "Tést session", "Someone", "Album", "Health & Fitness", "2026",
        "A description", SOURCE, "abc123", cover,
    )  # fmt: skip
    write_tags(path, audio_format, tags, CHAPTERS)
    return path


@pytest.mark.parametrize("audio_format", list(ENCODERS))
def test_the_routine_and_build_id_read_back_exactly(
    tmp_path: Path, audio_format: str, cover: bytes
) -> None:
    path = tagged(tmp_path, audio_format, cover)
    assert read_routine_source(path) == SOURCE
    assert read_build_id(path) == "abc123"
    decoded = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert decoded.returncode == 0 and decoded.stderr == ""


@pytest.mark.parametrize("audio_format", ["opus", "ogg", "flac"])
def test_vorbis_comments_carry_tags_chapters_and_cover(
    tmp_path: Path, audio_format: str, cover: bytes
) -> None:
    tags = mutagen.File(tagged(tmp_path, audio_format, cover))
    assert tags["title"] == ["Tést session"] and tags["artist"] == ["Someone"]
    assert tags["date"] == ["2026"] and tags["comment"] == ["A description"]
    assert [tags[f"chapter{i:03d}name"][0] for i in range(3)] == [c.title for c in CHAPTERS]
    assert [tags[f"chapter{i:03d}"][0] for i in range(3)] == [
        "00:00:00.000",
        "00:00:01.000",
        "00:00:02.500",
    ]
    if audio_format == "flac":
        pictures = tags.pictures
    else:
        pictures = [Picture(base64.b64decode(tags["metadata_block_picture"][0]))]
    assert pictures[0].data == cover and pictures[0].mime == "image/png"


def test_mp4_carries_tags_and_cover(tmp_path: Path, cover: bytes) -> None:
    tags = mutagen.File(tagged(tmp_path, "m4b", cover)).tags
    assert tags["\xa9nam"] == ["Tést session"] and tags["\xa9cmt"] == ["A description"]
    assert bytes(tags["covr"][0]) == cover


def test_wav_carries_id3_tags(tmp_path: Path, cover: bytes) -> None:
    tags = mutagen.File(tagged(tmp_path, "wav", cover)).tags
    assert tags["TIT2"].text == ["Tést session"]
    assert tags.getall("COMM")[0].text == ["A description"]


def test_a_file_without_a_routine_says_so(tmp_path: Path) -> None:
    plain = make_audio_file(tmp_path / "plain.mp3", "sine=f=440", 1.0)
    with pytest.raises(VoiceroutineError, match="no routine in this file"):
        read_routine_source(plain)
    assert read_build_id(plain) is None
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("hello")
    assert read_build_id(not_audio) is None
    assert read_build_id(tmp_path / "missing.mp3") is None
    with pytest.raises(VoiceroutineError, match=r"notes\.txt"):
        read_routine_source(not_audio)
