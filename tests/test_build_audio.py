"""End to end with the real engine: build MP3s, decode them, measure them against the timeline."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from audio_tools import decode, onset_errors_ms, onset_ms, peak_dbfs
from fakes import ToneEngine
from voiceroutine import api
from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import RawClip, VoiceSettings
from voiceroutine.tts.pyttsx3_engine import Pyttsx3Engine

ONSET_THRESHOLD_DBFS = -55.0
SILENCE_DBFS = -60.0

ROUTINE = """\
title: Test session
description: A short routine that uses every kind of step.
voice: {rate: 170}
audio: {bell: false}
defaults: {rest_between_exercises: 3s, rest_between_reps: 2s, count: last 3}
steps:
  - say: Welcome to the test.
  - exercise:
      name: Knee to chest
      instructions: [Lie on your back with your knees bent.]
      reps: 2
      hold: 5s
      sides: both
  - exercise: {name: Pelvic tilt, reps: 2, tempo: 2s}
  - rest: 6s
  - breathe: {name: Box breathing, inhale: 4, hold: 2, exhale: 4, cycles: 1}
  - repeat: 2
    steps:
      - pause: 1500ms
"""

YAML_LENGTHS = {
    "hold": [5000] * 4,
    "rep": [2000] * 2,
    "rest": [2000, 2000, 2000, 3000, 6000],
    "get-ready": [5000, 5000, 5000],
    "inhale": [4000],
    "breath-hold": [2000],
    "exhale": [4000],
    "pause": [1500, 1500],
}


class CountingEngine:
    """The real pyttsx3 engine, recording which lines it was asked to speak."""

    name = "pyttsx3"

    def __init__(self, engine: Pyttsx3Engine) -> None:
        self.engine = engine
        self.spoken: list[str] = []

    def voices(self):
        return self.engine.voices()

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        return self.engine.identity(voice)

    def voice_id(self, voice: VoiceSettings) -> str:
        return self.engine.voice_id(voice)

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        self.spoken.append(text)
        return self.engine.synthesize(text, voice)


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


@dataclass
class Built:
    result: api.BuildResult
    timeline: dict
    samples: np.ndarray
    engine: CountingEngine
    cache: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, engine: Pyttsx3Engine) -> Built:
    folder = tmp_path_factory.mktemp("build")
    source = folder / "session.yaml"
    source.write_text(ROUTINE, encoding="utf-8")
    counting = CountingEngine(engine)
    cache = folder / "cache"
    options = api.BuildOptions(out_dir=folder / "out", cache_dir=cache)
    result = api.build(source, options, engine=counting)
    timeline = json.loads(result.timeline_file.read_text(encoding="utf-8"))
    return Built(result, timeline, decode(result.audio), counting, cache)


def speech_cues(built: Built) -> list[dict]:
    return [cue for cue in built.timeline["cues"] if cue["kind"] == "speech"]


def test_build_writes_the_four_files_named_after_the_routine(built: Built) -> None:
    out = built.result.audio.parent
    assert sorted(p.name for p in out.iterdir()) == [
        "session.chapters.json",
        "session.json",
        "session.mp3",
        "session.vtt",
    ]
    chapters = json.loads((out / "session.chapters.json").read_text(encoding="utf-8"))
    assert chapters["version"] == "1.2.0"
    assert [c["title"] for c in chapters["chapters"]] == [
        c["title"] for c in built.timeline["chapters"]
    ]
    assert [c["startTime"] for c in chapters["chapters"]] == [
        c["start_ms"] / 1000 for c in built.timeline["chapters"]
    ]


def test_decoded_length_matches_the_timeline(built: Built) -> None:
    decoded_ms = len(built.samples) * 1000 / 44_100
    assert abs(decoded_ms - built.timeline["duration_ms"]) <= 50


def test_every_cue_begins_where_the_timeline_says(built: Built) -> None:
    errors = onset_errors_ms(built.samples, speech_cues(built), ONSET_THRESHOLD_DBFS)
    worst = max(abs(e) for e in errors)
    assert worst <= 15, f"largest onset error {worst:.2f} ms"
    assert len(errors) > 40


def test_audio_between_cues_is_silent(built: Built) -> None:
    cues = speech_cues(built)
    gaps = [(a["end_ms"] + 20, b["start_ms"] - 20) for a, b in itertools.pairwise(cues)]
    gaps.append((cues[-1]["end_ms"] + 20, built.timeline["duration_ms"] - 5))
    gaps.insert(0, (0, cues[0]["start_ms"] - 20))
    measured = [peak_dbfs(built.samples, lo, hi) for lo, hi in gaps if hi - lo > 20]
    assert len(measured) > 40
    assert max(measured) < SILENCE_DBFS


def test_speech_is_loud_and_does_not_clip(built: Built) -> None:
    peak = peak_dbfs(built.samples, 0, built.timeline["duration_ms"])
    assert -8.0 < peak < -1.0


def test_segments_last_exactly_what_the_routine_says(built: Built) -> None:
    lengths: dict[str, list[int]] = {}
    for segment in built.timeline["segments"]:
        lengths.setdefault(segment["kind"], []).append(segment["end_ms"] - segment["start_ms"])
    assert {kind: sorted(values) for kind, values in lengths.items()} == YAML_LENGTHS


def test_holds_are_measured_in_the_audio_from_and_hold_to_release(built: Built) -> None:
    """From the end of the sound that starts a hold to the onset of the one that ends it."""
    cues = speech_cues(built)
    samples = built.samples
    silence = 10 ** (ONSET_THRESHOLD_DBFS / 20)
    measured = []
    for hold in (s for s in built.timeline["segments"] if s["kind"] == "hold"):
        before = next(c for c in cues if c["end_ms"] == hold["start_ms"])
        after = next(c for c in cues if c["start_ms"] == hold["end_ms"])
        lo, hi = int(before["start_ms"] * 44.1), int(before["end_ms"] * 44.1) + 441
        sound_end = (lo + np.flatnonzero(np.abs(samples[lo:hi]) >= silence)[-1]) / 44.1
        sound_start = onset_ms(
            samples, after["start_ms"] - 100, after["end_ms"], ONSET_THRESHOLD_DBFS
        )
        measured.append(sound_start - sound_end)
    assert len(measured) == 4
    for hold in measured:
        assert abs(hold - 5000) <= 20, measured


def test_subtitles_have_one_cue_per_spoken_line(built: Built) -> None:
    text = built.result.subtitles.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n")
    times = re.findall(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> ", text, flags=re.MULTILINE)
    starts = [((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms) for h, m, s, ms in times]
    assert starts == [cue["start_ms"] for cue in speech_cues(built)]
    assert "Welcome to the test." in text


def test_mp3_is_44k_mono_64k_with_tags_and_a_xing_header(built: Built) -> None:
    probe = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(built.result.audio), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"Audio: mp3.*44100 Hz, mono.*64 kb/s", probe.stderr), probe.stderr
    global_part = probe.stdout.split("[CHAPTER]")[0]
    tags = dict(line.split("=", 1) for line in global_part.splitlines() if "=" in line)
    assert tags["title"] == "Test session"
    assert tags["album"] == "Test session"
    assert tags["artist"] == "voiceroutine"
    assert tags["comment"] == "A short routine that uses every kind of step."
    head = built.result.audio.read_bytes()[:8192]
    assert b"Xing" in head or b"Info" in head
    assert b"LAME" in head or b"Lavc" in head


def test_rebuild_synthesizes_nothing_and_an_edit_only_the_changed_line(
    built: Built, engine: Pyttsx3Engine, tmp_path: Path
) -> None:
    assert len(built.engine.spoken) == len(set(built.engine.spoken)) > 20
    source = tmp_path / "session.yaml"
    source.write_text(ROUTINE, encoding="utf-8")
    options = api.BuildOptions(out_dir=tmp_path / "out", cache_dir=built.cache)

    again = CountingEngine(engine)
    result = api.build(source, options, engine=again)
    assert again.spoken == []
    assert result.synthesized == 0 and result.reused == len(set(built.engine.spoken))

    source.write_text(ROUTINE.replace("Welcome to the test.", "Welcome back."), encoding="utf-8")
    edited = CountingEngine(engine)
    api.build(source, options, engine=edited)
    assert edited.spoken == ["Welcome back."]


def test_wav_output_places_cues_to_the_sample(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    source = tmp_path / "short.yaml"
    source.write_text(
        "title: Short\nintro: false\naudio: {bell: false}\nsteps:\n"
        "  - exercise: {name: Bridge, hold: 3s, count: every}\n",
        encoding="utf-8",
    )
    options = api.BuildOptions(out_dir=tmp_path, audio_format="wav")
    result = api.build(source, options, engine=engine)
    assert result.audio.name == "short.wav"
    samples = decode(result.audio)
    for cue in result.timeline.cues:
        found = onset_ms(samples, cue.start_ms - 50, cue.end_ms, -60.0)
        assert found is not None and abs(found - cue.start_ms) <= 1.0, (cue, found)


def test_a_failed_encode_keeps_the_previous_output(
    engine: Pyttsx3Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "keep.yaml"
    source.write_text("title: Keep\nsteps:\n  - say: Hello.\n", encoding="utf-8")
    out = tmp_path / "out"
    first = api.build(source, api.BuildOptions(out_dir=out), engine=engine)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert first.audio.exists()

    source.write_text("title: Keep\nsteps:\n  - say: Hello again.\n", encoding="utf-8")
    monkeypatch.setenv("VOICEROUTINE_FFMPEG", "/bin/false")
    with pytest.raises(VoiceroutineError, match="ffmpeg could not"):
        api.build(source, api.BuildOptions(out_dir=out), engine=engine)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_unknown_voice_lists_close_names(engine: Pyttsx3Engine) -> None:
    with pytest.raises(VoiceroutineError) as caught:
        engine.identity(VoiceSettings(name="en-uss"))
    assert "en-us" in str(caught.value)


def test_rate_changes_how_long_a_line_lasts(engine: Pyttsx3Engine) -> None:
    text = "Lie on your back with your knees bent."
    slow = engine.synthesize(text, VoiceSettings(rate=110))
    fast = engine.synthesize(text, VoiceSettings(rate=220))
    slow_s = len(slow.samples) / slow.sample_rate
    fast_s = len(fast.samples) / fast.sample_rate
    assert 1.3 < slow_s / fast_s < 2.5


def test_each_cue_sounds_like_its_own_line_and_not_another(
    built: Built, engine: Pyttsx3Engine
) -> None:
    """Compare the decoded file at each cue with the engine's clip for that cue's text."""
    compiled = api.compile_file(built.result.audio.parent.parent / "session.yaml")
    _, speech, _ = api.spoken_timeline(compiled, engine, built.cache)
    texts = sorted(speech.clips, key=len)

    def similarity(start_ms: int, clip: np.ndarray) -> float:
        start = round(start_ms * 44.1)
        heard = built.samples[start : start + len(clip)]
        clip = clip[: len(heard)]
        return float(np.dot(heard, clip) / (np.linalg.norm(heard) * np.linalg.norm(clip)))

    own, other = [], []
    for cue in speech_cues(built):
        own.append(similarity(cue["start_ms"], speech.clips[cue["text"]]))
        neighbour = texts[(texts.index(cue["text"]) + 1) % len(texts)]
        other.append(similarity(cue["start_ms"], speech.clips[neighbour]))
    assert min(own) > 0.9, min(own)
    assert max(other) < 0.5, max(other)


class SlowToneEngine(ToneEngine):
    """The tone engine speaking every line for three times its usual length."""

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        clip = super().synthesize(text, voice)
        return RawClip(np.tile(clip.samples, 3), clip.sample_rate)


def test_the_introduction_announces_the_length_the_session_really_has(tmp_path: Path) -> None:
    routine = tmp_path / "talk.yaml"
    lines = "".join(f"  - say: This is spoken line number {n} of a talk.\n" for n in range(40))
    routine.write_text(f"title: Talk\naudio: {{bell: false}}\nsteps:\n{lines}")
    estimated = api.estimated_timeline(api.compile_file(routine)).duration_ms
    options = api.BuildOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    result = api.build(routine, options, SlowToneEngine())
    real_minutes = round(result.timeline.duration_ms / 60_000)
    assert real_minutes != round(estimated / 60_000)  # the estimate would have been wrong
    said = [cue.text for cue in result.timeline.cues if cue.text]
    assert f"This session takes about {real_minutes} minutes." in said
    assert not any(f"about {round(estimated / 60_000)} minute" in text for text in said)
    # The timeline and audio are of the plan with the new line: its cue is where it is heard.
    decoded_ms = len(decode(result.audio)) * 1000 / 44_100
    assert abs(decoded_ms - result.timeline.duration_ms) <= 60
