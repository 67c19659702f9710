"""Heard, not assumed: an offline recognizer (Whisper tiny.en) transcribes what the voices say.

Semantically unpredictable sentences (real words in an order nobody could
guess) leave the recognizer's language model nothing to fill in, so they
measure the voice; the evening routine measures a whole session as built.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audio_tools import decode, onset_errors_ms
from transcribe import Heard, hear, transcribe_cues
from voiceroutine import api
from voiceroutine.tts.base import VoiceSettings
from voiceroutine.tts.choice import ENGINE_ENV
from voiceroutine.tts.piper_engine import PiperEngine
from voiceroutine.tts.pyttsx3_engine import Pyttsx3Engine

ROUTINES = Path(__file__).resolve().parent.parent / "routines"
UNPREDICTABLE = (
    "The green table sings a quiet river.",
    "A heavy window eats the polite cloud.",
    "The narrow song buys a sleepy mountain.",
    "A yellow chair drinks the honest winter.",
    "The loud garden reads a broken candle.",
    "A gentle bottle climbs the angry floor.",
    "The early pocket paints a silver horse.",
    "A soft engine writes the hungry door.",
    "The bright pencil follows a frozen lake.",
    "A cold picture catches the happy stone.",
    "The empty lamp teaches a purple bridge.",
    "A short ladder hears the brave orange.",
)
ONSET_THRESHOLD_DBFS = -55.0


def heard_from(engine: PiperEngine | Pyttsx3Engine) -> Heard:
    lines = []
    for sentence in UNPREDICTABLE:
        clip = engine.synthesize(sentence, VoiceSettings())
        lines.append((sentence, hear(clip.samples, clip.sample_rate)))
    return Heard(lines)


def test_unpredictable_sentences_are_heard_from_piper_and_much_less_from_espeak() -> None:
    piper, espeak = heard_from(PiperEngine()), heard_from(Pyttsx3Engine())
    print(f"word recall: piper {piper.recall:.3f}, espeak {espeak.recall:.3f}")
    # Measured here: Piper 0.95, eSpeak NG 0.73.
    assert piper.recall >= 0.85, piper.missed()
    assert piper.recall >= espeak.recall + 0.1, (piper.recall, espeak.recall)


@pytest.fixture(scope="module")
def evening(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """routines/evening.yaml built as a user builds it: no engine named, so Piper speaks."""
    folder = tmp_path_factory.mktemp("evening")
    shutil.copy(ROUTINES / "evening.yaml", folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(ENGINE_ENV)
        patch.setenv("VOICEROUTINE_CACHE_DIR", str(folder / "cache"))
        result = api.build(folder / "evening.yaml", api.BuildOptions(out_dir=folder, jobs=2))
    timeline = json.loads(result.timeline_file.read_text(encoding="utf-8"))
    return timeline, result.audio


def test_the_evening_routine_is_heard_word_for_word_in_the_natural_voice(
    evening: tuple[dict, Path],
) -> None:
    timeline, audio = evening
    assert timeline["voice"] == {"engine": "piper", "voice": "en_US-joe-medium", "language": "en"}
    heard = transcribe_cues(audio, timeline["cues"])
    print(f"word recall on evening.yaml: {heard.recall:.3f} over {len(heard.lines)} lines")
    # Measured here: 0.96 over 108 distinct lines.
    assert heard.recall >= 0.95, heard.missed()


def test_piper_cues_begin_within_10_ms_of_the_timeline(evening: tuple[dict, Path]) -> None:
    """Every line that starts in silence: a chime or breathing tone just before a line (or
    under a count) would be found as its onset."""
    timeline, audio = evening
    sounding = [(c["start_ms"], c["end_ms"]) for c in timeline["cues"] if c["kind"] != "speech"]
    speech = [
        cue
        for cue in timeline["cues"]
        if cue["kind"] == "speech"
        and not any(start < cue["start_ms"] + 50 and end > cue["start_ms"] - 300
                    for start, end in sounding)
    ]  # fmt: skip
    errors = onset_errors_ms(decode(audio), speech, ONSET_THRESHOLD_DBFS)
    worst = max(abs(error) for error in errors)
    assert len(errors) == len(speech) > 100
    assert worst <= 10, f"largest onset error {worst:.2f} ms"
