"""Draw the site's podcast artwork: a square PNG of calm rings, made in code."""

from __future__ import annotations

import struct
import zlib

ARTWORK_SIZE = 1400
"""The smallest square the big podcast directories accept."""
BACKGROUND = (0x1F, 0x4E, 0x5A)
RING = (0xE8, 0xF1, 0xEE)


def artwork_png(size: int = ARTWORK_SIZE) -> bytes:
    """Concentric soft rings on a deep teal ground, like a breath widening."""
    import numpy as np

    axis = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    radius = np.hypot(axis[None, :], axis[:, None]) * 2  # 0 at the centre, 1 at the edge midpoints
    rings = np.zeros_like(radius)
    for ring, strength in ((0.22, 1.0), (0.42, 0.55), (0.62, 0.3)):
        rings = np.maximum(rings, strength * np.clip(1 - np.abs(radius - ring) / 0.035, 0, 1))
    rings = np.maximum(rings, np.clip(1 - radius / 0.12, 0, 1))  # a filled centre
    ground = np.asarray(BACKGROUND, dtype=np.float32)
    light = np.asarray(RING, dtype=np.float32)
    pixels = ground + rings[..., None] * (light - ground)
    return _png(np.round(pixels).astype(np.uint8))


def _png(rgb: object) -> bytes:
    """An 8-bit RGB image as PNG bytes (every row with filter type 0)."""
    import numpy as np

    image = np.asarray(rgb, dtype=np.uint8)
    height, width, _ = image.shape
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), image.reshape(height, -1)], 1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
