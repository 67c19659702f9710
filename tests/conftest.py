"""Shared fixtures: an isolated clip cache and helpers to write routine files."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import settings

from fuzzing import register_profiles
from voiceroutine.library.phrasebook import Phrasebook, load_phrasebook

register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own clip cache and user data folder, so no test sees another's."""
    folder = tmp_path_factory.mktemp("clip-cache")
    monkeypatch.setenv("VOICEROUTINE_CACHE_DIR", str(folder))
    monkeypatch.setenv("VOICEROUTINE_DATA_DIR", str(tmp_path_factory.mktemp("user-data")))
    return folder


@pytest.fixture(autouse=True, scope="session")
def espeak_by_default() -> Iterator[None]:
    """Routines that name no engine speak with eSpeak NG, the fast engine, in every test
    (set for the whole session, so fixtures shared by a module's tests see it too).

    Only the tests about the natural voice and about choosing it take this away.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICEROUTINE_ENGINE", "pyttsx3")
        yield


@pytest.fixture
def write_routine(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "routine.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def english() -> Phrasebook:
    return load_phrasebook("en")
