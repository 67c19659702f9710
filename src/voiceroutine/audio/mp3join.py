"""Join MP3 files encoded one after another into one, with a single Info header that fits it.

A long session is encoded in parts at once, each part by its own LAME
encoder, and the parts are cut where the session is silent (see
`part_bounds`). Joining them is then a matter of frames: each part after the
first gives up its Info frame and its frames follow the first part's, and
the first part's Info frame (the Xing header with LAME's extension, as
ffmpeg writes it) is rewritten for the whole file: frame and byte counts,
seek table, end padding, audio length and both checksums.

The timing is exact. LAME's frames hold its input after a delay of
ENCODER_DELAY samples and end with padding of at least as many, so a part of
n samples fills exactly (n + PART_TAIL) / FRAME frames when that is a whole
number. A part that stops PART_TAIL samples before the next one starts, at a
whole frame, thus ends where the next part's frames begin: decoded, every
sample is where it was in the session, and between the parts lie the first
one's padding and the next one's delay, silence where the session is silent.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

FRAME = 1152
"""Samples in an MPEG-1 Layer III frame."""
MPEG1_RATES = (32_000, 44_100, 48_000)
"""The sample rates of MPEG-1, whose frames are FRAME samples (the others' are half that)."""
ENCODER_DELAY = 576
"""The delay LAME records in its header; decoders add their own 529 samples to it."""
PART_TAIL = 2 * ENCODER_DELAY
"""Samples between a part's end and the next part's start: its padding, the next one's delay."""
QUIET_MARGIN = 2 * FRAME
"""Silence needed beyond that gap on each side, so neither encoder hears the other part."""

_XING_OFFSET = {(1, 2): 36, (1, 1): 21, (2, 2): 21, (2, 1): 13}
"""Where the Info tag starts in its frame, by MPEG version (1, or 2 for 2 and 2.5) and channels."""
_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_TOC_SIZE = 100
_TAG_CRC_SPAN = 190
_HEAD_BYTES = 64 * 1024
"""Enough of a file to hold its ID3 tag as ffmpeg writes it and its Info frame."""
_COPY_BYTES = 1 << 20


class Mp3JoinError(ValueError):
    """A part is not an MP3 as ffmpeg writes one here: MPEG-1, its Info frame first."""


def part_bounds(
    quiet: Iterable[tuple[int, int]], total: int, parts: int, min_part: int
) -> list[tuple[int, int]]:
    """Where to cut a session of `total` samples into at most `parts` parts, each `min_part` long.

    `quiet` lists the session's silent stretches [start, end), in order. Each
    cut is a whole frame inside one of them, as close as it can be to an equal
    share of the session; the parts are [start, stop) sample ranges, every
    one but the last stopping PART_TAIL samples before the next one starts.
    Gives one part, the whole session, when no cut fits.
    """
    stretches = list(quiet)
    cuts: list[int] = []
    for index in range(1, parts):
        wanted = total * index // parts
        earliest = (cuts[-1] if cuts else 0) + min_part
        best: int | None = None
        for start, end in stretches:
            lowest = math.ceil((start + PART_TAIL + QUIET_MARGIN) / FRAME) * FRAME
            highest = (end - QUIET_MARGIN) // FRAME * FRAME
            lowest = max(lowest, math.ceil(earliest / FRAME) * FRAME)
            highest = min(highest, total - min_part)
            if lowest > highest:
                continue
            cut = min(max(round(wanted / FRAME) * FRAME, lowest), highest)
            if best is None or abs(cut - wanted) < abs(best - wanted):
                best = cut
        if best is not None:
            cuts.append(best)
    starts = [0, *cuts]
    stops = [cut - PART_TAIL for cut in cuts] + [total]
    return list(zip(starts, stops, strict=True))


@dataclass(frozen=True)
class InfoFrame:
    """Where a file's Info frame is, and what it holds."""

    offset: int
    length: int
    tag: int
    """Offset of the "Info" (or "Xing") tag within the frame."""

    def read(self, data: bytes) -> tuple[int, int, int, int, int]:
        """Frames, bytes, end padding, audio length and audio checksum, from the file's start."""
        at = self.offset + self.tag
        frames = int.from_bytes(data[at + 8 : at + 12], "big")
        size = int.from_bytes(data[at + 12 : at + 16], "big")
        padding = int.from_bytes(data[at + 141 : at + 144], "big") & 0xFFF
        length = int.from_bytes(data[at + 148 : at + 152], "big")
        crc = int.from_bytes(data[at + 152 : at + 154], "big")
        return frames, size, padding, length, crc


def join_mp3(first: Path, rest: Sequence[Path]) -> None:
    """Append the frames of `rest` (each without its Info frame) to `first`; fix its header."""
    with first.open("r+b") as joined:
        head = joined.read(_HEAD_BYTES)
        info = find_info_frame(head)
        frames, size, padding, length, crc = info.read(head)
        joined.seek(0, os.SEEK_END)
        for path in rest:
            with path.open("rb") as part_file:
                part_head = part_file.read(_HEAD_BYTES)
                part = find_info_frame(part_head)
                if part.offset != 0:
                    raise Mp3JoinError(f"{path.name} has something before its Info frame")
                part_frames, _, padding, _, part_crc = part.read(part_head)
                part_file.seek(part.length)
                audio = 0
                while chunk := part_file.read(_COPY_BYTES):  # a part can be 100 MB
                    joined.write(chunk)
                    audio += len(chunk)
            frames += part_frames
            size += audio
            length += audio
            crc = crc16_combine(crc, part_crc, audio)
        frame = bytearray(head[info.offset : info.offset + info.length])
        _rewrite_info(frame, info.tag, frames, size, padding, length, crc)
        joined.seek(info.offset)
        joined.write(frame)


def _rewrite_info(
    frame: bytearray, tag: int, frames: int, size: int, padding: int, length: int, crc: int
) -> None:
    """Set the counts, seek table, padding, length and checksums of an Info frame in place."""
    frame[tag + 8 : tag + 12] = frames.to_bytes(4, "big")
    frame[tag + 12 : tag + 16] = size.to_bytes(4, "big")
    # A constant bitrate: the n-th percent of the time starts n percent into the bytes.
    audio = size - len(frame)
    toc = [min(255, 256 * (len(frame) + audio * i // _TOC_SIZE) // size) for i in range(_TOC_SIZE)]
    toc[0] = 0
    frame[tag + 16 : tag + 16 + _TOC_SIZE] = bytes(toc)
    delay_padding = int.from_bytes(frame[tag + 141 : tag + 144], "big")
    delay_padding = (delay_padding & ~0xFFF) | min(padding, 0xFFF)
    frame[tag + 141 : tag + 144] = delay_padding.to_bytes(3, "big")
    frame[tag + 148 : tag + 152] = length.to_bytes(4, "big")
    frame[tag + 152 : tag + 154] = crc.to_bytes(2, "big")
    frame[tag + 154 : tag + 156] = tag_crc(bytes(frame), tag).to_bytes(2, "big")


def tag_crc(frame: bytes, tag: int) -> int:
    """The Info frame's own checksum, as ffmpeg computes it: its first 190 bytes, the field 0.

    (LAME stops at the field itself, which is byte 190 only in stereo MPEG-1;
    ffmpeg's files, the single-part ones included, follow ffmpeg.)
    """
    zeroed = bytearray(frame[:_TAG_CRC_SPAN])
    zeroed[tag + 154 : tag + 156] = b"\0\0"
    return crc16(bytes(zeroed))


def find_info_frame(data: bytes) -> InfoFrame:
    """The Info frame that opens the audio, after any ID3v2 tag."""
    offset = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = 0
        for byte in data[6:10]:
            size = size << 7 | byte & 0x7F
        offset = 10 + size + (10 if data[5] & 0x10 else 0)
    header = data[offset : offset + 4]
    length, version, channels = frame_shape(header)
    if version != 1:
        raise Mp3JoinError("not MPEG-1: its frames are not 1152 samples long")
    tag = _XING_OFFSET[version, channels]
    if len(data) < offset + length or data[offset + tag : offset + tag + 4] not in (
        b"Info",
        b"Xing",
    ):
        raise Mp3JoinError("no Info frame at the start of the audio")
    return InfoFrame(offset, length, tag)


def frame_shape(header: bytes) -> tuple[int, int, int]:
    """A Layer III frame's length in bytes, MPEG version (1 or 2) and channels, from its header."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        raise Mp3JoinError("not an MPEG audio frame")
    version_bits = header[1] >> 3 & 0b11
    if version_bits == 1 or header[1] >> 1 & 0b11 != 1:
        raise Mp3JoinError("not an MPEG Layer III frame")
    version = 1 if version_bits == 3 else 2
    bitrate = _BITRATES[version][header[2] >> 4 & 0xF] if header[2] >> 4 != 0xF else 0
    rate_index = header[2] >> 2 & 0b11
    if bitrate == 0 or rate_index == 3:
        raise Mp3JoinError("an MPEG frame without a bitrate or sample rate")
    rate = _RATES[version_bits][rate_index]
    slot_bytes = 144 if version == 1 else 72
    length = slot_bytes * bitrate * 1000 // rate + (header[2] >> 1 & 1)
    channels = 1 if header[3] >> 6 == 0b11 else 2
    return length, version, channels


def _crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = crc >> 1 ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC16 = _crc16_table()
"""CRC-16 (polynomial 0x8005, bits reflected, starting at 0), as LAME's header uses."""


def crc16(data: bytes, crc: int = 0) -> int:
    """The CRC-16 of `data`, continuing from `crc`."""
    for byte in data:
        crc = _CRC16[(crc ^ byte) & 0xFF] ^ crc >> 8
    return crc


def crc16_combine(first: int, second: int, second_length: int) -> int:
    """The CRC-16 of two byte strings joined, from each one's CRC and the second's length.

    The checksum is linear: it is the first one's carried through as many zero
    bytes as the second has (a 16x16 bit matrix, raised to that power by
    squaring), combined with the second one's.
    """
    step = [crc16(b"\x00", 1 << bit) for bit in range(16)]  # one zero byte, bit by bit
    carried = first
    while second_length:
        if second_length & 1:
            carried = _apply(step, carried)
        step = [_apply(step, column) for column in step]
        second_length >>= 1
    return carried ^ second


def _apply(matrix: list[int], vector: int) -> int:
    result = 0
    for bit, column in enumerate(matrix):
        if vector >> bit & 1:
            result ^= column
    return result
