"""The finished file as a listener gets it: loudness, chapters, sounds, music bed, formats, tags.

Every check decodes or reads back the real output with an independent tool:
ffmpeg's EBU R128 meter and chapter reader, and mutagen.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path

import mutagen
import numpy as np
import pytest

from audio_tools import decode, ebur128, onset_ms
from voiceroutine import api
from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import RawClip, VoiceInfo, VoiceSettings
from voiceroutine.tts.pyttsx3_engine import Pyttsx3Engine

ROUTINE = """\
# A short session with every kind of sound; comments and spacing must survive extract.
title: Studio check
description: Checks loudness, chapters, sounds and tags — ünïcode too.
author: voiceroutine tests
voice: {rate: 190}
defaults:
  rest_between_exercises: 4s
  get_ready: 2s
  sounds: {rest_end: tick}
steps:
  - say: Settle in.
  - exercise:
      name: Knee to chest
      instructions: [Hug one knee in.]
      reps: 1
      hold: 4s
      count: none
    sounds: {start: chime}
  - exercise: {name: Pelvic tilt, reps: 2, tempo: 2s}
  - breathe: {name: Box breathing, inhale: 3, hold: 2, exhale: 3, cycles: 2}
    guide: both
"""


class ScaledEngine:
    """The real engine with its output scaled, as a quiet or loud engine setting would."""

    name = "pyttsx3"

    def __init__(self, engine: Pyttsx3Engine, scale: float) -> None:
        self.engine = engine
        self.scale = scale

    def voices(self) -> list[VoiceInfo]:
        return self.engine.voices()

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        return {**self.engine.identity(voice), "scale": str(self.scale)}

    def voice_id(self, voice: VoiceSettings) -> str:
        return self.engine.voice_id(voice)

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        raw = self.engine.synthesize(text, voice)
        return RawClip(np.clip(raw.samples * self.scale, -1.0, 1.0), raw.sample_rate)


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio-cache")


@pytest.fixture(scope="module")
def routine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("studio")
    path = folder / "studio.yaml"
    path.write_bytes(ROUTINE.replace("\n", "\r\n").encode("utf-8"))  # CRLF, as some editors do
    return path


def build(routine: Path, engine, cache: Path, out: Path, **options) -> api.BuildResult:
    return api.build(routine, api.BuildOptions(out_dir=out, cache_dir=cache, **options), engine)


def ffmpeg_chapters(path: Path) -> list[tuple[float, float, str]]:
    """The chapters ffmpeg's demuxer reads, as players built on it list them: (start s, end s,
    title), in file order."""
    probe = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
    found = re.findall(
        r"Chapter #\d+:\d+: start (-?[\d.]+), end (-?[\d.]+)\n\s+Metadata:\n\s+title\s+: (.*)",
        probe,
    )
    return [(float(start), float(end), title) for start, end, title in found]


@pytest.mark.parametrize("scale", [0.02, 1.0], ids=["quiet-engine", "loud-engine"])
def test_mp3_meets_minus_16_lufs_and_minus_1_dbtp_whatever_the_engine_level(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path, scale: float
) -> None:
    result = build(routine, ScaledEngine(engine, scale), cache, tmp_path)
    measured = ebur128(result.audio)
    assert measured.integrated == pytest.approx(-16.0, abs=0.5)
    assert measured.true_peak <= -1.0


@pytest.mark.parametrize("audio_format", ["mp3", "m4b", "opus", "ogg", "flac", "wav"])
def test_every_format_meets_the_loudness_target(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path, audio_format: str
) -> None:
    result = build(routine, engine, cache, tmp_path, audio_format=audio_format)
    assert result.audio.suffix == f".{audio_format}"
    measured = ebur128(result.audio)
    assert measured.integrated == pytest.approx(-16.0, abs=0.5)
    assert measured.true_peak <= -1.0
    # What the build measured on the decoded file is what ffmpeg's meter reads.
    assert result.loudness is not None and result.loudness.problem() is None
    assert result.loudness.measured_lufs == pytest.approx(measured.integrated, abs=0.1)
    assert result.loudness.true_peak_dbtp == pytest.approx(measured.true_peak, abs=0.15)
    decoded_ms = len(decode(result.audio)) * 1000 / 44_100
    assert abs(decoded_ms - result.timeline.duration_ms) <= 60


def test_the_loudness_target_is_an_option(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path
) -> None:
    result = build(routine, engine, cache, tmp_path, audio_format="wav", loudness=-23.0)
    assert ebur128(result.audio).integrated == pytest.approx(-23.0, abs=0.5)


@pytest.mark.parametrize("audio_format", ["mp3", "m4b"])
def test_chapters_read_back_in_time_order_by_ffmpeg_and_mutagen(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path, audio_format: str
) -> None:
    result = build(routine, engine, cache, tmp_path, audio_format=audio_format)
    expected = [(c.start_ms, c.end_ms, c.title) for c in result.timeline.chapters]
    titles = [title for _, _, title in expected]
    assert titles[0] == "Introduction" and titles[-1] == "Closing"
    assert {"Knee to chest", "Pelvic tilt", "Box breathing"} <= set(titles)
    assert "Rest" not in titles  # rests are in the chapter before them

    read = ffmpeg_chapters(result.audio)
    assert [title for _, _, title in read] == titles
    for (start, end, _), (start_ms, end_ms, _) in zip(read, expected, strict=True):
        assert abs(start * 1000 - start_ms) <= 10 and abs(end * 1000 - end_ms) <= 10

    tags = mutagen.File(result.audio).tags
    if audio_format == "mp3":
        toc = tags.getall("CTOC")[0]
        chaps = {frame.element_id: frame for frame in tags.getall("CHAP")}
        in_toc = [chaps[child] for child in toc.child_element_ids]
        assert [c.sub_frames["TIT2"].text[0] for c in in_toc] == titles
        assert [(c.start_time, c.end_time) for c in in_toc] == [(s, e) for s, e, _ in expected]
    else:
        chapters = mutagen.File(result.audio).chapters
        assert [chapter.title for chapter in chapters] == titles
        assert all(
            abs(chapter.start * 1000 - start_ms) <= 10
            for chapter, (start_ms, _, _) in zip(chapters, expected, strict=True)
        )


def test_sounds_and_tones_sound_where_the_timeline_puts_them(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path
) -> None:
    result = build(routine, engine, cache, tmp_path, audio_format="wav")
    samples = decode(result.audio)
    cues = json.loads(result.timeline_file.read_text(encoding="utf-8"))["cues"]
    sounds = [cue for cue in cues if cue["kind"] in ("sound", "tone")]
    names = [cue["sound"] for cue in sounds]
    assert names.count("bell") == 2 and "chime" in names and "tick" in names
    assert {"inhale", "exhale", "hold"} <= set(names)
    for cue in sounds:
        previous_end = max((c["end_ms"] for c in cues if c["end_ms"] <= cue["start_ms"]), default=0)
        found = onset_ms(samples, max(previous_end + 5, cue["start_ms"] - 100), cue["end_ms"], -60)
        assert found is not None and abs(found - cue["start_ms"]) <= 15, (cue, found)


def test_an_inhale_tone_rises_and_an_exhale_tone_falls(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path
) -> None:
    result = build(routine, engine, cache, tmp_path, audio_format="wav")
    samples = decode(result.audio)
    # guide: both speaks the phase name over the tone's start; look at the tone's tail.
    for cue in result.timeline.cues:
        if cue.kind != "tone" or cue.sound is None or cue.sound.name == "hold":
            continue
        middle = round((cue.start_ms + cue.end_ms) / 2 * 44.1)
        end = round(cue.end_ms * 44.1) - 2205
        early = dominant_hz(samples[middle - 8820 : middle])
        late = dominant_hz(samples[end - 8820 : end])
        if cue.sound.name == "inhale":
            assert late > early, (cue, early, late)
        else:
            assert late < early, (cue, early, late)


def dominant_hz(window: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    frequencies = np.fft.rfftfreq(len(window), 1 / 44_100)
    band = (frequencies > 100) & (frequencies < 1000)
    return float(frequencies[band][np.argmax(spectrum[band])])


def test_extract_gives_back_the_routine_exactly_as_written(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path
) -> None:
    for audio_format in ("mp3", "m4b", "opus"):
        result = build(routine, engine, cache, tmp_path / audio_format, audio_format=audio_format)
        assert api.extract(result.audio).routine.encode("utf-8") == routine.read_bytes()
    with pytest.raises(VoiceroutineError, match="no routine"):
        api.extract(result.timeline_file)


def test_tags_and_cover_art_in_the_file(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path
) -> None:
    cover = routine.parent / "cover.png"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=teal:s=96x96",
         "-frames:v", "1", str(cover)],
        check=True,
    )  # fmt: skip
    with_cover = routine.parent / "covered.yaml"
    with_cover.write_text(ROUTINE.replace("author:", "cover: cover.png\nauthor:"), "utf-8")
    result = build(with_cover, engine, cache, tmp_path)
    tags = mutagen.File(result.audio).tags
    assert tags["TIT2"].text == ["Studio check"]
    assert tags["TPE1"].text == ["voiceroutine tests"]
    assert tags.getall("COMM")[0].text == [
        "Checks loudness, chapters, sounds and tags — ünïcode too."
    ]
    assert tags.getall("APIC")[0].data == cover.read_bytes()


def test_the_music_bed_plays_in_gaps_and_ducks_under_speech(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path
) -> None:
    plain_yaml = routine.parent / "plain.yaml"
    plain_yaml.write_text(ROUTINE.replace("defaults:", "audio: {bell: false}\ndefaults:"), "utf-8")
    music_yaml = routine.parent / "music.yaml"
    music_yaml.write_text(
        ROUTINE.replace("defaults:", "audio: {bell: false, music: brown-noise}\ndefaults:"),
        "utf-8",
    )
    plain = build(plain_yaml, engine, cache, tmp_path / "plain", audio_format="wav")
    music = build(music_yaml, engine, cache, tmp_path / "music", audio_format="wav")
    assert plain.timeline.cues == music.timeline.cues
    with_bed, without = decode(music.audio), decode(plain.audio)
    assert np.max(np.abs(with_bed)) < 10 ** (-1 / 20)  # no clipping
    gain_music = 10 ** (music.loudness.gain_db / 20)
    gain_plain = 10 ** (plain.loudness.gain_db / 20)
    bed = with_bed / gain_music - without / gain_plain  # the bed alone, before the session gain

    speech = [c for c in music.timeline.cues if c.kind == "speech"]
    under, between = [], []
    for cue in speech:
        if cue.end_ms - cue.start_ms > 800:  # inside a line, past the fade down
            under.append(rms_db(bed, cue.start_ms + 200, cue.end_ms - 100))
    for a, b in itertools.pairwise(speech):
        if b.start_ms - a.end_ms > 2000:  # a long quiet stretch, away from the ramps
            between.append(rms_db(bed, a.end_ms + 800, b.start_ms - 500))
    assert len(under) >= 5 and len(between) >= 2
    depth = float(np.median(between) - np.median(under))
    assert depth >= 12.0, (between, under)
    heard_in_gaps = float(np.median(between)) + music.loudness.gain_db
    assert heard_in_gaps > -60.0  # audible, not dead air


def rms_db(samples: np.ndarray, start_ms: float, end_ms: float) -> float:
    window = samples[round(start_ms * 44.1) : round(end_ms * 44.1)]
    return 20 * float(np.log10(np.sqrt(np.mean(np.square(window))) + 1e-12))


@pytest.mark.parametrize("rate", [22_050, 24_000])
def test_mp3_at_the_lower_rates_the_docs_list(
    routine: Path, engine: Pyttsx3Engine, cache: Path, tmp_path: Path, rate: int
) -> None:
    result = build(routine, engine, cache, tmp_path, sample_rate=rate)
    assert mutagen.File(result.audio).info.sample_rate == rate
    decoded_ms = len(decode(result.audio, rate)) * 1000 / rate
    assert abs(decoded_ms - result.timeline.duration_ms) <= 30  # under one 576-sample frame
    assert ebur128(result.audio).integrated == pytest.approx(-16.0, abs=0.5)
