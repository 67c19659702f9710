"""What a text-to-speech engine offers: the Protocol every engine implements, and its data types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

DEFAULT_RATE_WPM = 150
"""A calm speaking rate, in words per minute."""


@dataclass(frozen=True)
class VoiceSettings:
    """The voice a routine asks for; None means the engine's choice."""

    name: str | None = None
    rate: int | None = None
    language: str = "en"
    preferred: str | None = None
    """The voice the language's phrasebook suggests, used when it exists and no name is given."""
    speaker: int | str | None = None
    """A speaker of a multi-speaker voice, by number or name."""
    preset: str | None = None
    """A named way of speaking (see presets.py), such as `calm`."""
    pronounce: tuple[tuple[str, str], ...] = ()
    """Words and how to say them, applied to each line before it is spoken (pronounce.py)."""


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None = None
    speakers: tuple[str, ...] = ()
    """The speakers of a multi-speaker voice, in the order of their numbers."""


@dataclass(frozen=True)
class RawClip:
    """Mono speech as float32 samples in [-1, 1] at the engine's own sample rate."""

    samples: np.ndarray
    sample_rate: int


class Engine(Protocol):
    """A text-to-speech engine. Engines are built once and passed down, never imported globally.

    To add one, register a callable that takes no arguments and returns an
    Engine under the `voiceroutine.engines` entry-point group of a package
    (see tts/registry.py). Importing its module must be cheap: import the
    engine's own libraries when the engine is built or first speaks.

    An engine may also offer `voice_id(voice) -> str`, the id of the voice that
    speaks as `voiceroutine voices` lists it, for the timeline and the tags;
    without it they record its identity's `voice`. It may offer `prepare(voice)`
    as well: make ready, once, what every process that speaks with the voice
    shares; it is called before worker processes start speaking.
    """

    name: str

    def voices(self) -> list[VoiceInfo]:
        """The voices this engine can speak with."""
        ...

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        """Everything besides the text that changes the sound (resolved voice, rate, version).

        Raises VoiceroutineError when the voice does not exist.
        """
        ...

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        """Speak `text` as plain text (no markup) and return the audio."""
        ...
