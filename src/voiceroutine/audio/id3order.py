"""Put the CHAP frames of an ID3v2.3 tag in time order, in place, byte by byte.

mutagen writes the tag; this only swaps whole frames within it, so nothing
else of the tag or the audio after it moves.
"""

from __future__ import annotations

from pathlib import Path


def put_chapters_in_time_order(path: Path) -> None:
    """Move the CHAP frames of the ID3v2.3 tag at the start of `path` into time order.

    mutagen saves frames sorted by size, so CHAP frames land in the file in
    size order, and readers that take them in file order (ffmpeg and the apps
    built on it) list the chapters out of order. The CHAP frames swap places
    among the slots they occupy; other frames, the padding and the tag's
    length stay as they are.
    """
    with path.open("r+b") as file:
        header = file.read(10)
        # Version 3, neither unsynchronised nor with an extended header: what mutagen writes.
        if len(header) < 10 or header[:4] != b"ID3\x03" or header[5] & 0xC0:
            return
        frames = _v23_frames(file.read(_syncsafe(header[6:10])))
        slots = [index for index, frame in enumerate(frames) if frame[:4] == b"CHAP"]
        in_time_order = sorted((frames[index] for index in slots), key=_chap_times)
        for index, frame in zip(slots, in_time_order, strict=True):
            frames[index] = frame
        file.seek(10)
        file.write(b"".join(frames))


def _v23_frames(body: bytes) -> list[bytes]:
    """The whole frames (header and data) of an ID3v2.3 tag body, up to its padding."""
    frames: list[bytes] = []
    offset = 0
    while offset + 10 <= len(body) and body[offset] != 0:
        end = offset + 10 + int.from_bytes(body[offset + 4 : offset + 8], "big")
        if end > len(body):
            break  # a damaged frame: leave it and what follows where they are
        frames.append(body[offset:end])
        offset = end
    return frames


def _chap_times(frame: bytes) -> tuple[int, int]:
    """A CHAP frame's start and end ms: they follow its NUL-terminated element id."""
    times = frame.index(b"\0", 10) + 1
    return (
        int.from_bytes(frame[times : times + 4], "big"),
        int.from_bytes(frame[times + 4 : times + 8], "big"),
    )


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]
