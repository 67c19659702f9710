"""Which files a routine may read: those in its own folder, and in folders the user allowed.

Routines are shared files, so a routine that names `../../.ssh/id_rsa` as its
music, or a symlink that leads out of its folder, is refused. A user who keeps
sounds elsewhere allows that folder with `--allow-dir` or in the config file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceroutine.errors import Place, VoiceroutineError

CONFIG_ENV = "VOICEROUTINE_CONFIG"
"""Set to the path of a config file to use instead of the user's own."""
MAX_MEDIA_BYTES = 200_000_000
"""The largest sound, music or cover file a routine may name."""


def config_file() -> Path:
    """$VOICEROUTINE_CONFIG, else config.yaml in the platform's user config folder."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path("voiceroutine") / "config.yaml"


def configured_folders(path: Path) -> list[Path]:
    """The folders listed under `allow_dirs:` in the config file at `path` (none if absent)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise VoiceroutineError(f"cannot read the config file: {error}", Place(path)) from None
    try:
        settings = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = Place(path, mark.line + 1, mark.column + 1) if mark else Place(path)
        raise VoiceroutineError("invalid YAML in the config file", place) from None
    folders = settings.get("allow_dirs", []) if isinstance(settings, dict) else None
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise VoiceroutineError("`allow_dirs` must be a list of folders", Place(path))
    return [Path(folder).expanduser() for folder in folders]


@dataclass(frozen=True)
class ReadAccess:
    """The folders (resolved, symlinks followed) that a routine's files must lie in."""

    folders: tuple[Path, ...]

    @classmethod
    def for_routine(cls, routine: Path, allowed: Sequence[Path] = ()) -> ReadAccess:
        """The routine's own folder, the folders given, and those in the config file."""
        every = [routine.parent, *allowed, *configured_folders(config_file())]
        return cls(tuple(folder.resolve() for folder in every))

    def permits(self, path: Path) -> bool:
        """Whether `path`, with every symlink followed, lies inside an allowed folder."""
        real = path.resolve()
        return any(real.is_relative_to(folder) for folder in self.folders)

    def refusal(self, name: str) -> str:
        """Why a file outside the allowed folders is not read, and how to allow it."""
        return (
            f"'{name}' is outside the routine's folder, so it is not read; to allow its "
            f"folder, pass --allow-dir or list it under allow_dirs in {config_file()}"
        )
