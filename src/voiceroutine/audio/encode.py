"""Stream PCM into one ffmpeg process that encodes and tags the output file."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.errors import VoiceroutineError


@dataclass(frozen=True)
class AudioFormat:
    """An output format: its file extension, ffmpeg muxer and codec arguments."""

    name: str
    extension: str
    muxer: str
    codec_args: tuple[str, ...]


FORMATS: dict[str, AudioFormat] = {
    # 64 kbps mono at 44.1 kHz: clear speech, about 29 MB an hour, and the lowest
    # rate podcast directories accept. Never pass -write_xing 0: players need the
    # Xing/LAME header to remove the encoder delay.
    "mp3": AudioFormat(
        "mp3", "mp3", "mp3", ("-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "3")
    ),
    "wav": AudioFormat("wav", "wav", "wav", ("-c:a", "pcm_s16le")),
}


def encode(
    pcm_blocks: Iterable[bytes],
    destination: Path,
    audio_format: AudioFormat,
    sample_rate: int,
    tags: Mapping[str, str],
    name: str | None = None,
) -> None:
    """Encode mono 16-bit PCM blocks into `destination`; raise VoiceroutineError on failure.

    `name` is how the file is called in messages (the destination may be a temporary file).
    """
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
        *audio_format.codec_args,
    ]  # fmt: skip
    for key, value in tags.items():
        if value:
            command += ["-metadata", f"{key}={value}"]
    command += ["-f", audio_format.muxer, str(destination)]
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors)
        except OSError as error:
            raise VoiceroutineError(f"cannot run ffmpeg ({command[0]}): {error.strerror}") from None
        assert process.stdin is not None
        try:
            for block in pcm_blocks:
                process.stdin.write(block)
            process.stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            process.kill()
            process.wait()
            raise
        code = process.wait()
        if code != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else f"exit status {code}"
            raise VoiceroutineError(f"ffmpeg could not encode {name or destination.name}: {reason}")
