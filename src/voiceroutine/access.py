"""What a routine may do: read files in its own folder (and those the user allowed), run so long.

Routines are shared files, so a routine that names `../../.ssh/id_rsa` as its
music, or a symlink that leads out of its folder, is refused. A user who keeps
sounds elsewhere allows that folder with `--allow-dir` or in the config file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class UserConfig:
    """The user's config file: folders routines may read from, the longest session, and how
    to say words every voice gets wrong."""

    allow_dirs: tuple[Path, ...] = ()
    max_hours: float | None = None
    pronounce: tuple[tuple[str, str], ...] = ()


def read_config(path: Path) -> UserConfig:
    """The config file at `path`; an absent file is an empty config."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserConfig()
    except (OSError, UnicodeDecodeError) as error:
        raise VoiceroutineError(f"cannot read the config file: {error}", Place(path)) from None
    import yaml  # only when there is a file: most users have none

    try:
        settings = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = Place(path, mark.line + 1, mark.column + 1) if mark else Place(path)
        raise VoiceroutineError("invalid YAML in the config file", place) from None
    if not isinstance(settings, dict):
        raise VoiceroutineError("the config file must be a mapping of settings", Place(path))
    unknown = sorted(str(key) for key in settings if key not in CONFIG_SETTINGS)
    if unknown:
        raise VoiceroutineError(
            f"unknown setting '{unknown[0]}' in the config file; "
            f"known: {', '.join(CONFIG_SETTINGS)}",
            Place(path),
        )
    folders = settings.get("allow_dirs", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise VoiceroutineError("`allow_dirs` must be a list of folders", Place(path))
    hours = settings.get("max_hours")
    if hours is not None and not valid_max_hours(hours):
        raise VoiceroutineError(
            f"`max_hours` must be a number of hours from 0 to {MAX_HOURS_CEILING}", Place(path)
        )
    return UserConfig(
        tuple(Path(folder).expanduser() for folder in folders),
        hours,
        _respellings(settings.get("pronounce") or {}, path),
    )


CONFIG_SETTINGS = ("allow_dirs", "max_hours", "pronounce")


def _respellings(value: object, path: Path) -> tuple[tuple[str, str], ...]:
    """The config's `pronounce:`, a mapping of words to how to say them."""
    from voiceroutine.tts import pronounce

    if not isinstance(value, dict) or not all(
        isinstance(word, str) and isinstance(saying, str) for word, saying in value.items()
    ):
        raise VoiceroutineError(
            "`pronounce` must map words to how to say them (Pilates: pih-LAH-teez)", Place(path)
        )
    for word, saying in value.items():
        wrong = pronounce.problem(word, saying)
        if wrong:
            raise VoiceroutineError(f"`pronounce`: {word}: {wrong}", Place(path))
    return pronounce.merged(value)


DEFAULT_MAX_HOURS = 12
MAX_HOURS_CEILING = 48
"""The longest session a user can allow: the work and memory of a build stay bounded."""


def valid_max_hours(hours: object) -> bool:
    return (
        isinstance(hours, (int, float))
        and not isinstance(hours, bool)
        and 0 < hours <= MAX_HOURS_CEILING
    )


@dataclass(frozen=True)
class Allowances:
    """What the user allows a routine beyond its defaults, from the command line.

    The config file's settings are added to them, so the Python API honours
    them as the CLI does: read once by `with_config` (a command does so as it
    starts), else each time they are needed.
    """

    folders: tuple[Path, ...] = ()
    """Folders besides the routine's own that its files may lie in."""
    max_hours: float | None = None
    """The longest session, in hours; None means the config's, else 12."""
    config: UserConfig | None = None
    """The config file's settings once read; None reads the file at each use."""

    def with_config(self) -> Allowances:
        """These allowances with the config file read now, once."""
        return replace(self, config=read_config(config_file()))

    def _config(self) -> UserConfig:
        return self.config if self.config is not None else read_config(config_file())

    def read_access(self, routine: Path) -> ReadAccess:
        """The folders a routine's files must lie in."""
        every = [routine.parent, *self.folders, *self._config().allow_dirs]
        return ReadAccess(tuple(folder.resolve() for folder in every))

    def respellings(self) -> tuple[tuple[str, str], ...]:
        """How the config file says to pronounce words, in every routine."""
        return self._config().pronounce

    def session_limit_ms(self) -> int:
        """How long a session may last, in milliseconds."""
        hours = self.max_hours
        if hours is None:
            hours = self._config().max_hours or DEFAULT_MAX_HOURS
        return round(hours * 3_600_000)


@dataclass(frozen=True)
class ReadAccess:
    """The folders (resolved, symlinks followed) that a routine's files must lie in."""

    folders: tuple[Path, ...]

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


NO_ALLOWANCES = Allowances()
"""Nothing beyond the defaults (the config file still counts)."""
