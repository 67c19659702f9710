"""The build id: a digest of everything that decides a build's output, to skip rebuilding it.

It covers the routine file's bytes (so a changed comment still reaches the
embedded copy), the compiled plan (so a changed catalogue entry or phrase
counts), the engine's voice identity, the output settings, the content of
every file the routine uses (sounds, music, cover), and the package version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from voiceroutine import __version__
from voiceroutine.plan import Plan

FINGERPRINT_FORMAT = 1
"""Bump when the pipeline changes the audio of an unchanged routine."""


def build_id(
    source: bytes,
    plan: Plan,
    voice_identity: Mapping[str, str],
    settings: Mapping[str, object],
    files: Iterable[Path],
) -> str:
    """A hex digest that changes whenever anything that shapes the output does."""
    digest = hashlib.sha256()
    header = {
        "format": FINGERPRINT_FORMAT,
        "version": __version__,
        "voice": dict(voice_identity),
        "settings": {key: str(value) for key, value in settings.items()},
    }
    digest.update(json.dumps(header, sort_keys=True).encode("utf-8"))
    digest.update(hashlib.sha256(source).digest())
    digest.update(repr(plan).encode("utf-8"))
    for path in sorted(set(files)):
        digest.update(str(path).encode("utf-8"))
        digest.update(_file_digest(path))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.digest()
