"""Exercise and breathing catalogues: built-in data, its translations, and a routine's own file."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from voiceroutine.errors import VoiceroutineError
from voiceroutine.languages import primary_language
from voiceroutine.library.phrasebook import BUNDLED_YAML_LOADER
from voiceroutine.routine import CatalogueBreathing, CatalogueExercise, StrictModel
from voiceroutine.wording import ROUTINE_WORDING
from voiceroutine.yamlsource import parse_source, place_of, read_source, validate

TRANSLATED_EXERCISE_FIELDS = ("name", "setup", "instructions", "caution", "cues")
TRANSLATED_BREATHING_FIELDS = ("name", "intro")


class LibraryFile(StrictModel):
    """A catalogue file: exercises and breathing patterns, each with an id."""

    # Defaults that pydantic copies, not `default_factory=list`: for that it would read the
    # signature of `list`, which compiles the tokenizer's patterns (3 ms at every start).
    exercises: list[CatalogueExercise] = Field(default=[])
    patterns: list[CatalogueBreathing] = Field(default=[])


@dataclass(frozen=True)
class Catalogue:
    """Exercises and breathing patterns by id, in one language."""

    exercises: dict[str, CatalogueExercise]
    breathing: dict[str, CatalogueBreathing]

    def merged_with(self, local: Catalogue) -> Catalogue:
        """This catalogue with `local`'s entries added; on the same id, the local one wins."""
        return Catalogue(
            {**self.exercises, **local.exercises}, {**self.breathing, **local.breathing}
        )


def load_catalogue(language: str = "en") -> Catalogue:
    """The built-in catalogue, its spoken text in `language` where a translation exists."""
    folder = resources.files("voiceroutine.library")
    catalogue = _catalogue_of(
        _load_library_text(
            folder.joinpath("exercises.yaml").read_text(encoding="utf-8"), "exercises.yaml", True
        ),
        _load_library_text(
            folder.joinpath("breathing.yaml").read_text(encoding="utf-8"), "breathing.yaml", True
        ),
    )
    base = primary_language(language)
    translation = folder / "i18n" / f"{base}.yaml"
    if base == "en" or not translation.is_file():
        return catalogue
    texts = yaml.load(translation.read_text(encoding="utf-8"), Loader=BUNDLED_YAML_LOADER)
    return translate(catalogue, texts or {})


def load_library_file(path: Path) -> Catalogue:
    """A routine's own catalogue file; problems are reported at their place in that file."""
    text = read_source(path, "library")
    return _catalogue_of(_load_library_text(text, str(path)))


def translate(catalogue: Catalogue, texts: dict[str, Any]) -> Catalogue:
    """Replace the spoken fields of entries that `texts` translates."""
    exercises = {
        key: _with_texts(entry, texts.get("exercises", {}).get(key), TRANSLATED_EXERCISE_FIELDS)
        for key, entry in catalogue.exercises.items()
    }
    breathing = {
        key: _with_texts(entry, texts.get("breathing", {}).get(key), TRANSLATED_BREATHING_FIELDS)
        for key, entry in catalogue.breathing.items()
    }
    return Catalogue(exercises, breathing)


def _with_texts(entry: Any, texts: dict[str, Any] | None, fields: tuple[str, ...]) -> Any:
    if not texts:
        return entry
    update = {field: texts[field] for field in fields if field in texts}
    return type(entry).model_validate(
        {**entry.model_dump(exclude_unset=True, mode="python"), **update}
    )


def _load_library_text(text: str, name: str, bundled: bool = False) -> LibraryFile:
    path = Path(name)
    root = parse_source(text, path, "catalogue", bundled)
    library = validate(LibraryFile, root, path, wording=ROUTINE_WORDING)
    for kind, entries in (("exercises", library.exercises), ("patterns", library.patterns)):
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if entry.id in seen:
                raise VoiceroutineError(
                    f"the id '{entry.id}' is used twice", place_of(root, path, kind, index, "id")
                )
            seen.add(entry.id)
    return library


def _catalogue_of(*files: LibraryFile) -> Catalogue:
    exercises: dict[str, CatalogueExercise] = {}
    breathing: dict[str, CatalogueBreathing] = {}
    for library in files:
        exercises.update((entry.id, entry) for entry in library.exercises)
        breathing.update((entry.id, entry) for entry in library.patterns)
    return Catalogue(exercises, breathing)
