"""write_tags on real files in every format, read back by mutagen and by the bundled ffmpeg."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from voiceroutine.audio.encode import ffmetadata
from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.tags import (
    SessionTags,
    read_build_id,
    read_routine_source,
    write_tags,
)
from voiceroutine.errors import VoiceroutineError
from voiceroutine.timeline import ChapterSpan

SOURCE = (
    "title: Évening — 背中 🧘 / stretch\r\n"
    "description: a=b; c # not a comment \\ backslash\r\n"
    "steps:\r\n"
    '  - say: "Breathe = 4;7;8 # box"\r\n'
    "  - rest: 20\n"
)
BUILD_ID = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
# A long title in the middle: mutagen alone would write these CHAP frames in size order.
CHAPTERS = [
    ChapterSpan("Settle in", 0, 800),
    ChapterSpan("Knee to chest, left side then right — slow breaths = 4;7;8 # box", 800, 2600),
    ChapterSpan("Cat-cow", 2600, 3500),
    ChapterSpan("Rest", 3500, 4200),
    ChapterSpan("Box breathing, eyes closed", 4200, 6000),
]  # fmt: skip
SHUFFLED = [CHAPTERS[i] for i in (3, 0, 4, 1, 2)]
"""write_tags is given the chapters out of order: every format must store them in time order."""
SECONDS = 6
SOURCE_ARGS = ("-f", "lavfi", "-i", f"sine=f=440:d={SECONDS}")
ENCODERS = {
    "mp3": ("-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "3"),
    "m4a": ("-c:a", "aac", "-b:a", "64k", "-f", "mp4"),
    "m4b": ("-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", "-f", "ipod"),
    "opus": ("-c:a", "libopus", "-ar", "48000"),
    "ogg": ("-c:a", "libvorbis"),
    "flac": ("-c:a", "flac"),
    "wav": ("-c:a", "pcm_s16le"),
}
MP4_FORMATS = ("m4a", "m4b")
VORBIS_FORMATS = ("opus", "ogg", "flac")
CHAPTER_LINE = re.compile(
    r"Chapter #\d+:\d+: start (?P<start>[\d.]+), end (?P<end>[\d.]+)\n"
    r"\s+Metadata:\n\s+title\s+: (?P<title>.*)\n"
)


def ffmpeg(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *arguments],
        capture_output=True, text=True, encoding="utf-8",
    )  # fmt: skip


def ffmpeg_chapters(path: Path) -> list[tuple[int, int, str]]:
    """(start ms, end ms, title) as ffmpeg lists the file's chapters: in the order it read them."""
    listing = ffmpeg("-i", str(path)).stderr  # no output file: ffmpeg only describes the input
    return [
        (round(float(m["start"]) * 1000), round(float(m["end"]) * 1000), m["title"])
        for m in CHAPTER_LINE.finditer(listing)
    ]


def assert_ffmpeg_lists_chapters(path: Path, check_ends: bool = True) -> None:
    listed = ffmpeg_chapters(path)
    assert [title for _, _, title in listed] == [c.title for c in CHAPTERS]
    for (start, end, _), chapter in zip(listed, CHAPTERS, strict=True):
        assert abs(start - chapter.start_ms) <= 10
        if check_ends:
            assert abs(end - chapter.end_ms) <= 10


def assert_decodes_fully(path: Path) -> None:
    run = ffmpeg("-v", "error", "-i", str(path), "-f", "null", "-")
    assert run.returncode == 0 and run.stderr == ""


def make_tags(cover: bytes | None, source: str = SOURCE) -> SessionTags:
    return SessionTags(
        title="Évening stretch", artist="Someone", album="Back care", genre="Health & Fitness",
        year="2026", comment="Ten calm minutes — stop if anything hurts.",
        routine_source=source, build_id=BUILD_ID, cover=cover,
    )  # fmt: skip


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Freshly encoded files in every format (MP4 with ffmpeg's chapters) and two covers."""
    folder = tmp_path_factory.mktemp("encoded")
    metadata = folder / "chapters.txt"
    metadata.write_text(ffmetadata(CHAPTERS), encoding="utf-8")
    for name, options in ENCODERS.items():
        inputs = [*SOURCE_ARGS]
        if name in MP4_FORMATS:
            inputs += ["-i", str(metadata), "-map", "0:a", "-map_chapters", "1"]
        run = ffmpeg("-v", "error", *inputs, "-ac", "1", *options, str(folder / f"s.{name}"))
        assert run.returncode == 0, run.stderr
    for name in ("cover.png", "cover.jpg"):
        source = ("-f", "lavfi", "-i", "color=c=blue:s=64x64")
        run = ffmpeg("-v", "error", *source, "-frames:v", "1", str(folder / name))
        assert run.returncode == 0, run.stderr
    return folder


@pytest.fixture(scope="module")
def png(workshop: Path) -> bytes:
    return (workshop / "cover.png").read_bytes()


@pytest.fixture(scope="module")
def jpeg(workshop: Path) -> bytes:
    return (workshop / "cover.jpg").read_bytes()


def fresh(workshop: Path, tmp_path: Path, audio_format: str) -> Path:
    """A copy of the freshly encoded file, for one test to tag."""
    return Path(shutil.copy(workshop / f"s.{audio_format}", tmp_path / f"s.{audio_format}"))


def tagged(workshop: Path, tmp_path: Path, audio_format: str, tags: SessionTags) -> Path:
    path = fresh(workshop, tmp_path, audio_format)
    write_tags(path, audio_format, tags, SHUFFLED)
    return path


@pytest.mark.parametrize("audio_format", list(ENCODERS))
def test_the_routine_and_build_id_read_back_exactly(
    workshop: Path, tmp_path: Path, png: bytes, audio_format: str
) -> None:
    path = tagged(workshop, tmp_path, audio_format, make_tags(png))
    source = read_routine_source(path)
    assert source.encode("utf-8") == SOURCE.encode("utf-8")
    assert read_build_id(path) == BUILD_ID
    assert_decodes_fully(path)


@pytest.mark.parametrize(("audio_format", "renamed"), [("mp3", "x.ogg"), ("flac", "x.bin")])
def test_a_renamed_file_is_read_whatever_its_extension_says(
    workshop: Path, tmp_path: Path, png: bytes, audio_format: str, renamed: str
) -> None:
    path = tagged(workshop, tmp_path, audio_format, make_tags(png))
    moved = path.rename(tmp_path / renamed)
    assert read_routine_source(moved).encode("utf-8") == SOURCE.encode("utf-8")
    assert read_build_id(moved) == BUILD_ID


@pytest.mark.parametrize("audio_format", list(ENCODERS))
def test_a_200_kb_routine_fits_in_every_format(
    workshop: Path, tmp_path: Path, png: bytes, audio_format: str
) -> None:
    big = SOURCE * (200_000 // len(SOURCE))
    path = tagged(workshop, tmp_path, audio_format, make_tags(png, big))
    assert read_routine_source(path) == big
    assert_decodes_fully(path)
    if audio_format != "wav":  # the tag grew by 200 KB (MP4: the audio moved): chapters stay
        assert_ffmpeg_lists_chapters(path, check_ends=audio_format not in VORBIS_FORMATS)


def test_mp3_carries_id3v23_frames(workshop: Path, tmp_path: Path, png: bytes) -> None:
    path = tagged(workshop, tmp_path, "mp3", make_tags(png))
    tags = ID3(path)
    assert tags.version == (2, 3, 0)
    assert "TSSE" not in tags  # ffmpeg's tag is replaced, not merged
    assert tags["TIT2"].text == ["Évening stretch"] and tags["TPE1"].text == ["Someone"]
    assert tags["TALB"].text == ["Back care"] and tags["TCON"].text == ["Health & Fitness"]
    assert str(tags["TDRC"].text[0]) == "2026"  # written as TYER, read as TDRC by mutagen
    assert tags["COMM::eng"].text == ["Ten calm minutes — stop if anything hurts."]
    cover = tags.getall("APIC")[0]
    assert (cover.type, cover.mime, cover.data) == (3, "image/png", png)
    assert tags["TXXX:voiceroutine:build"].text == [BUILD_ID]


def test_mp3_chapters_are_in_time_order_for_mutagen_and_ffmpeg(
    workshop: Path, tmp_path: Path, png: bytes
) -> None:
    path = tagged(workshop, tmp_path, "mp3", make_tags(png))
    tags = ID3(path)
    toc = tags.getall("CTOC")[0]
    assert toc.element_id == "toc"
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    chaps = {frame.element_id: frame for frame in tags.getall("CHAP")}
    listed = [chaps[element_id] for element_id in toc.child_element_ids]
    assert [(c.start_time, c.end_time, c.sub_frames["TIT2"].text[0]) for c in listed] == [
        (c.start_ms, c.end_ms, c.title) for c in CHAPTERS
    ]
    # ffmpeg takes CHAP frames in file order (and gives the times as written).
    assert_ffmpeg_lists_chapters(path)
    assert_decodes_fully(path)


def test_mutagen_alone_would_have_put_the_mp3_chapters_out_of_order(
    workshop: Path, tmp_path: Path, png: bytes
) -> None:
    path = tagged(workshop, tmp_path, "mp3", make_tags(png))
    plain = Path(shutil.copy(path, tmp_path / "plain.mp3"))
    ID3(plain).save(plain, v2_version=3)  # the same frames, saved in mutagen's size order
    titles = [title for _, _, title in ffmpeg_chapters(plain)]
    assert sorted(titles) == sorted(c.title for c in CHAPTERS)
    assert titles != [c.title for c in CHAPTERS]
    assert titles[-1] == CHAPTERS[1].title  # the longest frame comes last
    assert plain.stat().st_size == path.stat().st_size  # the reordering kept the tag's size


def test_wav_carries_an_id3_chunk(workshop: Path, tmp_path: Path, png: bytes) -> None:
    path = tagged(workshop, tmp_path, "wav", make_tags(png))
    tags = WAVE(path).tags
    assert tags["TIT2"].text == ["Évening stretch"] and tags["TALB"].text == ["Back care"]
    assert tags["COMM::eng"].text == ["Ten calm minutes — stop if anything hurts."]
    assert tags.getall("APIC")[0].data == png


@pytest.mark.parametrize("audio_format", MP4_FORMATS)
def test_mp4_keeps_ffmpegs_chapters_and_gets_tags_and_cover(
    workshop: Path, tmp_path: Path, png: bytes, audio_format: str
) -> None:
    path = tagged(workshop, tmp_path, audio_format, make_tags(png))
    audio = MP4(path)
    tags = audio.tags
    assert tags["\xa9nam"] == ["Évening stretch"] and tags["\xa9ART"] == ["Someone"]
    assert tags["\xa9alb"] == ["Back care"] and tags["\xa9gen"] == ["Health & Fitness"]
    assert tags["\xa9day"] == ["2026"]
    assert tags["\xa9cmt"] == ["Ten calm minutes — stop if anything hurts."]
    assert bytes(tags["----:org.voiceroutine:build"][0]) == BUILD_ID.encode()
    assert bytes(tags["covr"][0]) == png
    assert tags["covr"][0].imageformat == MP4Cover.FORMAT_PNG
    assert [(round(c.start * 1000), c.title) for c in audio.chapters] == [
        (c.start_ms, c.title) for c in CHAPTERS
    ]
    assert_ffmpeg_lists_chapters(path)
    assert_decodes_fully(path)


def vorbis_file(path: Path) -> OggOpus | OggVorbis | FLAC:
    kinds = {".opus": OggOpus, ".ogg": OggVorbis, ".flac": FLAC}
    return kinds[path.suffix](path)


def cover_pictures(audio: OggOpus | OggVorbis | FLAC) -> list[Picture]:
    if isinstance(audio, FLAC):
        return list(audio.pictures)
    return [Picture(base64.b64decode(block)) for block in audio["metadata_block_picture"]]


@pytest.mark.parametrize("audio_format", VORBIS_FORMATS)
def test_vorbis_comments_carry_tags_chapters_and_cover(
    workshop: Path, tmp_path: Path, png: bytes, audio_format: str
) -> None:
    path = tagged(workshop, tmp_path, audio_format, make_tags(png))
    audio = vorbis_file(path)
    assert audio["title"] == ["Évening stretch"] and audio["artist"] == ["Someone"]
    assert audio["album"] == ["Back care"] and audio["genre"] == ["Health & Fitness"]
    assert audio["date"] == ["2026"]
    assert audio["comment"] == audio["description"] == [make_tags(None).comment]
    assert audio["voiceroutine_build"] == [BUILD_ID]
    chapter_comments = [key for key, _ in audio.tags if key.upper().startswith("CHAPTER")]
    assert len(chapter_comments) == 2 * len(CHAPTERS)  # nothing left over from ffmpeg
    assert [audio[f"chapter{i:03d}name"][0] for i in range(len(CHAPTERS))] == [
        c.title for c in CHAPTERS
    ]
    assert [audio[f"chapter{i:03d}"][0] for i in range(len(CHAPTERS))] == [
        "00:00:00.000", "00:00:00.800", "00:00:02.600", "00:00:03.500", "00:00:04.200",
    ]  # fmt: skip
    [picture] = cover_pictures(audio)
    assert (picture.type, picture.mime, picture.data) == (3, "image/png", png)
    # ffmpeg reads the chapter comments too (ends: the next start, or the end of the file).
    assert_ffmpeg_lists_chapters(path, check_ends=False)
    assert_decodes_fully(path)


@pytest.mark.parametrize("audio_format", ["mp3", "m4b", "ogg", "flac"])
def test_a_jpeg_cover_is_labelled_as_jpeg(
    workshop: Path, tmp_path: Path, jpeg: bytes, audio_format: str
) -> None:
    path = tagged(workshop, tmp_path, audio_format, make_tags(jpeg))
    if audio_format == "mp3":
        frame = ID3(path).getall("APIC")[0]
        assert (frame.mime, frame.data) == ("image/jpeg", jpeg)
    elif audio_format == "m4b":
        [cover] = MP4(path).tags["covr"]
        assert (cover.imageformat, bytes(cover)) == (MP4Cover.FORMAT_JPEG, jpeg)
    else:
        [picture] = cover_pictures(vorbis_file(path))
        assert (picture.mime, picture.data) == ("image/jpeg", jpeg)
    assert_decodes_fully(path)


@pytest.mark.parametrize("audio_format", list(ENCODERS))
def test_a_file_without_a_routine_says_so(
    workshop: Path, tmp_path: Path, audio_format: str
) -> None:
    plain = fresh(workshop, tmp_path, audio_format)
    with pytest.raises(VoiceroutineError, match="no routine") as raised:
        read_routine_source(plain)
    assert raised.value.place is not None and raised.value.place.file == plain
    assert read_build_id(plain) is None
    untagged = replace(make_tags(None), routine_source=None, build_id=None)
    write_tags(plain, audio_format, untagged, [])
    assert read_build_id(plain) is None
    with pytest.raises(VoiceroutineError, match="no routine"):
        read_routine_source(plain)


@pytest.mark.parametrize("name", ["notes.txt", "notes.mp3", "missing.flac", "folder"])
def test_reading_what_is_not_audio(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.startswith("notes"):
        path.write_text("title: not audio\n", encoding="utf-8")
    elif name == "folder":
        path.mkdir()
    assert read_build_id(path) is None
    with pytest.raises(VoiceroutineError) as raised:
        read_routine_source(path)
    assert raised.value.place is not None and raised.value.place.file == path


@pytest.mark.parametrize("audio_format", list(ENCODERS))
def test_tagging_what_is_not_audio_names_the_file(tmp_path: Path, audio_format: str) -> None:
    path = tmp_path / f"notes.{audio_format}"
    path.write_text("title: not audio\n", encoding="utf-8")
    with pytest.raises(VoiceroutineError, match="cannot tag") as raised:
        write_tags(path, audio_format, make_tags(None), CHAPTERS)
    assert raised.value.place is not None and raised.value.place.file == path
    assert f"notes.{audio_format}" in str(raised.value)


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VoiceroutineError, match="aiff"):
        write_tags(tmp_path / "s.aiff", "aiff", make_tags(None), [])


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda path: path.write_text("not a picture"), "is not an image"),
        (lambda path: _image_of(path, "GIF"), "is a GIF image, not PNG or JPEG"),
        (lambda path: path.write_bytes(_png_bytes()[:60]), "cannot be decoded"),
    ],
    ids=["text", "gif", "truncated"],
)
def test_a_cover_that_is_not_a_whole_png_or_jpeg_is_refused_at_its_line(
    tmp_path: Path, make, problem: str
) -> None:
    from voiceroutine.errors import VoiceroutineError
    from voiceroutine.loader import load_routine

    make(tmp_path / "cover.png")
    routine = tmp_path / "routine.yaml"
    routine.write_text("title: Covered\ncover: cover.png\nsteps:\n  - say: Hello\n")
    with pytest.raises(VoiceroutineError) as caught:
        load_routine(routine)
    assert str(caught.value).startswith(f"{routine}:2:8: ")
    assert problem in str(caught.value)


def _png_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.effect_noise((64, 64), 40).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def _image_of(path: Path, kind: str) -> None:
    from PIL import Image

    Image.new("RGB", (16, 16), "teal").save(path, kind)
