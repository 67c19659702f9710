"""Find the ffmpeg shipped in the imageio-ffmpeg wheel, and a pydub set up to use it."""

from __future__ import annotations

import os
import warnings
from functools import cache
from typing import Any

from voiceroutine.errors import VoiceroutineError

FFMPEG_ENV = "VOICEROUTINE_FFMPEG"
"""Set to a path to use another ffmpeg binary than the bundled one."""


def ffmpeg_exe() -> str:
    """The ffmpeg to run: $VOICEROUTINE_FFMPEG, else the one bundled with imageio-ffmpeg."""
    override = os.environ.get(FFMPEG_ENV)
    if override:
        return override
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as error:
        raise VoiceroutineError(f"cannot find ffmpeg: {error}") from None


@cache
def audio_segment_class() -> Any:
    """pydub's AudioSegment, pointed at our ffmpeg, imported without its missing-ffmpeg warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment
