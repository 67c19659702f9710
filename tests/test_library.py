"""Built-in content: the catalogue, breathing patterns, phrasebooks and their translations."""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

import pytest
import yaml

from voiceroutine.compile import compile_routine
from voiceroutine.errors import VoiceroutineError
from voiceroutine.languages import available_languages
from voiceroutine.library.catalogue import (
    TRANSLATED_BREATHING_FIELDS,
    TRANSLATED_EXERCISE_FIELDS,
    load_catalogue,
)
from voiceroutine.library.phrasebook import PHRASE_KEYS, load_phrasebook, parse_phrasebook
from voiceroutine.loader import load_routine
from voiceroutine.plan import Period, Speak

LANGUAGES = ["de", "en", "es", "fr"]
REQUIRED_EXERCISES = [
    "knee-to-chest",
    "double-knee-to-chest",
    "pelvic-tilt",
    "abdominal-bracing",
    "knee-rolls",
    "lying-knee-twist",
    "bridge",
    "cat-cow",
    "childs-pose",
    "bird-dog",
    "dead-bug",
    "plank",
    "knee-plank",
    "side-plank",
    "partial-crunch",
    "hamstring-stretch",
    "legs-up-the-wall",
    "sphinx",
    "chin-tuck",
    "shoulder-blade-squeeze",
    "doorway-chest-stretch",
    "wall-angels",
    "alternating-knee-lift",
    "quadruped-hip-extension",
    "lumbar-flexion-rotation",
]
REQUIRED_BREATHING = ["box", "4-7-8", "diaphragmatic", "coherent", "sigh"]
LIBRARY = resources.files("voiceroutine.library")


def test_four_languages_ship() -> None:
    assert available_languages() == LANGUAGES


def test_the_catalogue_has_every_required_exercise_and_pattern() -> None:
    catalogue = load_catalogue("en")
    assert set(REQUIRED_EXERCISES) <= set(catalogue.exercises)
    assert set(REQUIRED_BREATHING) <= set(catalogue.breathing)


def test_every_exercise_is_complete_and_speakable() -> None:
    for entry in load_catalogue("en").exercises.values():
        assert entry.position and entry.targets and entry.sources, entry.id
        assert entry.setup and entry.instructions and entry.cues, entry.id
        assert (entry.hold is None) != (entry.tempo is None), f"{entry.id}: a hold or a tempo"
        assert entry.reps and entry.sides, entry.id
        for line in [*entry.setup, *entry.instructions, *entry.cues, entry.caution or "x"]:
            assert not re.search(r"[()\[\]{}/&%#*_<>]", line), (entry.id, line)


def test_breathing_patterns_have_their_published_shape() -> None:
    patterns = load_catalogue("en").breathing
    seconds = {key: (p.inhale, p.hold, p.exhale, p.hold_out) for key, p in patterns.items()}
    assert seconds["box"] == (4000, 4000, 4000, 4000)
    assert seconds["4-7-8"] == (4000, 7000, 8000, 0)
    assert patterns["sigh"].top_up > 0 and patterns["sigh"].exhale > patterns["sigh"].inhale
    assert patterns["diaphragmatic"].exhale > patterns["diaphragmatic"].inhale
    coherent = patterns["coherent"]
    assert 5 <= 60_000 / (coherent.inhale + coherent.exhale) <= 7  # about six breaths a minute
    assert all(pattern.intro for pattern in patterns.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_phrasebook_has_every_phrase_with_the_same_placeholders(language: str) -> None:
    phrases = load_phrasebook(language)
    english = load_phrasebook("en")
    assert set(phrases.phrases) == PHRASE_KEYS
    for key in PHRASE_KEYS:
        wanted = {field for variant in english.variants(key) for field in _fields(variant)}
        for variant in phrases.variants(key):
            assert set(_fields(variant)) == wanted, (language, key, variant)
    assert len(phrases.numbers) >= 30
    assert phrases.voice


def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_a_phrasebook_missing_a_phrase_is_refused() -> None:
    data = yaml.safe_load((LIBRARY / "phrases" / "en.yaml").read_text(encoding="utf-8"))
    del data["release"]
    with pytest.raises(VoiceroutineError, match="lacks: release"):
        parse_phrasebook(data, "broken.yaml")


@pytest.mark.parametrize("language", ["de", "es", "fr"])
def test_every_catalogue_entry_is_translated_line_for_line(language: str) -> None:
    texts = yaml.safe_load((LIBRARY / "i18n" / f"{language}.yaml").read_text(encoding="utf-8"))
    english = load_catalogue("en")
    assert set(texts["exercises"]) == set(english.exercises)
    assert set(texts["breathing"]) == set(english.breathing)
    for kind, fields, entries in (
        ("exercises", TRANSLATED_EXERCISE_FIELDS, english.exercises),
        ("breathing", TRANSLATED_BREATHING_FIELDS, english.breathing),
    ):
        for key, entry in entries.items():
            translated = texts[kind][key]
            assert set(translated) <= set(fields), (language, key)
            for field in fields:
                original = getattr(entry, field)
                if isinstance(original, list):
                    assert len(translated.get(field, [])) == len(original), (language, key, field)
                else:
                    assert (field in translated) == (original is not None), (language, key, field)
    translated_catalogue = load_catalogue(language)
    assert translated_catalogue.exercises["bridge"].name != english.exercises["bridge"].name
    assert translated_catalogue.exercises["bridge"].hold == english.exercises["bridge"].hold


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_five_line_routine_compiles_in_every_language(language: str, tmp_path: Path) -> None:
    routine = tmp_path / "five.yaml"
    routine.write_text(
        f"title: Five lines\nvoice: {{language: {language}}}\n"
        "steps:\n  - exercise: knee-to-chest\n  - breathe: box\n",
        encoding="utf-8",
    )
    plan = compile_routine(load_routine(routine), load_phrasebook(language), minutes=6)
    said = [item.text for item in plan.items if isinstance(item, Speak)]
    said += [c.texts[0] for i in plan.items if isinstance(i, Period) for c in i.cues]
    catalogue = load_catalogue(language)
    phrases = load_phrasebook(language)
    assert catalogue.exercises["knee-to-chest"].setup[0] in said
    assert phrases.variants("safety")[0] in said
    assert phrases.variants("outro")[0] in said
    assert phrases.first("breathe_in") in said


@pytest.mark.parametrize("tag", ["de", "de-DE", "de_DE", "DE", "de-Latn-AT"])
def test_every_way_of_writing_a_language_gets_its_phrases_and_exercises(
    tmp_path: Path, tag: str
) -> None:
    from voiceroutine import api

    routine = tmp_path / "r.yaml"
    routine.write_text(
        f"title: T\nvoice: {{language: {tag}}}\nsteps:\n  - exercise: bridge\n",
        encoding="utf-8",
    )
    said = [cue.text for cue in api.check(routine).cues if cue.kind == "speech"]
    assert "Brücke." in said  # the German catalogue text, not the English "Bridge."
    assert any(line.startswith("Diese Einheit dauert etwa") for line in said)
    assert api.catalogue(tag).exercises["bridge"].name == "Brücke"


def test_a_routines_own_library_adds_and_overrides_exercises(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "exercises:\n"
        "  - id: bridge\n    name: My bridge\n    hold: 3s\n    reps: 2\n"
        "  - id: wall-sit\n    name: Wall sit\n    hold: 15s\n",
        encoding="utf-8",
    )
    routine = tmp_path / "r.yaml"
    routine.write_text(
        "title: T\nlibrary: mine.yaml\nsteps:\n"
        "  - exercise: bridge\n  - exercise: wall-sit\n  - exercise: cat-cow\n",
        encoding="utf-8",
    )
    steps = load_routine(routine).steps
    assert [step.exercise.name for step in steps] == ["My bridge", "Wall sit", "Cat cow"]
    assert steps[0].exercise.hold == 3000


def test_a_broken_library_file_is_reported_at_its_own_place(tmp_path: Path) -> None:
    library = tmp_path / "mine.yaml"
    library.write_text("exercises:\n  - id: wall-sit\n    name: Wall sit\n    hodl: 15s\n")
    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nlibrary: mine.yaml\nsteps:\n  - exercise: wall-sit\n")
    with pytest.raises(VoiceroutineError) as caught:
        load_routine(routine)
    assert str(caught.value).startswith(f"{library}:4:5: unknown key 'hodl' (did you mean 'hold'?)")


def test_duplicate_ids_in_a_library_are_refused(tmp_path: Path) -> None:
    library = tmp_path / "mine.yaml"
    library.write_text(
        "exercises:\n  - id: a\n    name: A\n  - id: a\n    name: Another A\n", encoding="utf-8"
    )
    routine = tmp_path / "r.yaml"
    routine.write_text("title: T\nlibrary: mine.yaml\nsteps:\n  - exercise: a\n")
    with pytest.raises(VoiceroutineError, match=r"mine.yaml:4:9: the id 'a' is used twice"):
        load_routine(routine)


def test_every_exercise_shown_can_be_pasted_into_a_routine(tmp_path) -> None:
    from voiceroutine import api
    from voiceroutine.loader import parse_routine

    catalogue = api.catalogue("en")
    for exercise_id, entry in catalogue.exercises.items():
        shown = api.exercise_step_yaml(entry)
        assert "sources" not in shown and ".txt" not in shown
        indented = "".join(f"  {line}\n" for line in shown.splitlines())
        routine = parse_routine(f"title: Pasted\nsteps:\n{indented}", tmp_path / "r.yaml")
        pasted = routine.steps[0].exercise
        assert pasted.name == entry.name and pasted.instructions == entry.instructions, exercise_id


def test_text_beside_an_id_replaces_the_entrys_and_keeps_the_rest(tmp_path) -> None:
    from voiceroutine import api
    from voiceroutine.loader import parse_routine

    entry = api.catalogue("en").exercises["bridge"]
    routine = parse_routine(
        "title: T\nsteps:\n  - exercise: bridge\n    name: Gentle bridge\n"
        "    caution: Stop if your knee hurts.\n    cues: Breathe out as you lift.\n    reps: 3\n",
        tmp_path / "r.yaml",
    )
    step = routine.steps[0]
    assert step.exercise.name == "Gentle bridge"
    assert step.exercise.caution == "Stop if your knee hurts."
    assert step.exercise.cues == ["Breathe out as you lift."]
    assert step.exercise.setup == entry.setup and step.exercise.instructions == entry.instructions
    assert step.reps == 3


LEAVING_THE_POSITION = re.compile(r"\b(come back|comes back|return|come down|come out)\b", re.I)


def test_a_held_exercise_ends_its_instructions_in_the_position() -> None:
    # The last instruction comes just before "And hold." (or its caution does): "Hold it
    # there." after "turn slowly to the middle" would hold the wrong position.
    for entry in load_catalogue("en").exercises.values():
        if entry.hold is not None and entry.instructions:
            assert not LEAVING_THE_POSITION.search(entry.instructions[-1]), entry.name
