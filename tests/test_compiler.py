"""The compiler turns each step kind and option into the spoken flow an instructor would use."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from voiceroutine.compile import MAX_PLAN_ITEMS, MAX_REPEAT_DEPTH, compile_routine, size_problem
from voiceroutine.errors import VoiceroutineError
from voiceroutine.library.phrasebook import Phrasebook, load_phrasebook
from voiceroutine.loader import parse_routine
from voiceroutine.plan import (
    Chapter,
    Gap,
    PaletteSound,
    Period,
    Plan,
    Play,
    SoundFile,
    Speak,
    TimedCue,
    Tone,
)
from voiceroutine.routine import (
    ExerciseStep,
    PauseStep,
    RepeatStep,
    RestStep,
    Routine,
    SayStep,
    Step,
)

QUIET = "intro: false\noutro: false\ndefaults: {get_ready: 0}\n"
"""No intro, outro or get-ready period: the tests below look at one thing at a time."""


def compile_text(text: str, phrases: Phrasebook, minutes: int | None = None) -> Plan:
    return compile_routine(parse_routine(text, Path("test.yaml")), phrases, minutes)


def spoken(plan: Plan) -> list[str]:
    """Everything said, in order, with each period's lines after its kind."""
    said: list[str] = []
    for item in plan.items:
        if isinstance(item, Speak):
            said.append(item.text)
        elif isinstance(item, Period):
            said.append(f"[{item.kind} {item.ms}]")
            said.extend(cue.texts[0] for cue in item.cues)
    return said


def periods(plan: Plan, kind: str | None = None) -> list[Period]:
    return [i for i in plan.items if isinstance(i, Period) and (kind is None or i.kind == kind)]


def test_say_speaks_the_text_as_written(english: Phrasebook) -> None:
    plan = compile_text(QUIET + "title: T\nsteps:\n  - say: Hello there, friend.\n", english)
    assert spoken(plan) == ["Hello there, friend."]


def test_pause_is_a_silent_period_of_exactly_its_length(english: Phrasebook) -> None:
    plan = compile_text(QUIET + "title: T\nsteps:\n  - say: A\n  - pause: 1m30s\n", english)
    assert periods(plan) == [Period("pause", 90_000)]


def test_intro_says_title_length_and_safety_and_the_outro_closes(english: Phrasebook) -> None:
    plan = compile_text("title: Evening stretch\nsteps:\n  - say: Hello.\n", english, minutes=12)
    said = spoken(plan)
    assert said[:3] == [
        "Evening stretch.",
        "This session takes about 12 minutes.",
        english.variants("safety")[0],
    ]
    assert said[-1] == english.variants("outro")[0]
    chapters = [item.title for item in plan.items if isinstance(item, Chapter)]
    assert chapters == ["Introduction", "Closing"]


@pytest.mark.parametrize(
    ("language", "one", "many"),
    [
        ("en", "about one minute.", "about 3 minutes."),
        ("de", "etwa eine Minute.", "etwa 3 Minuten."),
        ("fr", "environ une minute.", "environ 3 minutes."),
        ("es", "aproximadamente un minuto.", "unos 3 minutos."),
    ],
)
def test_the_intro_says_one_minute_in_the_singular(language: str, one: str, many: str) -> None:
    phrases = load_phrasebook(language)
    text = "title: T\nsteps:\n  - say: Hello.\n"
    assert spoken(compile_text(text, phrases, minutes=1))[1].endswith(one)
    assert spoken(compile_text(text, phrases, minutes=3))[1].endswith(many)


def test_intro_and_outro_can_be_rewritten_or_turned_off(english: Phrasebook) -> None:
    text = "title: T\nintro: Welcome back.\noutro: false\nsteps:\n  - say: Hello.\n"
    assert spoken(compile_text(text, english, minutes=5)) == ["T.", "Welcome back.", "Hello."]
    text = "title: T\nintro: false\noutro: See you tomorrow.\nsteps:\n  - say: Hello.\n"
    assert spoken(compile_text(text, english)) == ["Hello.", "See you tomorrow."]


def test_rest_announces_what_comes_next_before_it_ends(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - rest: 30s\n"
        "  - exercise: {name: Bridge., instructions: [Lift your hips.]}\n"
    )
    plan = compile_text(text, english)
    rest = periods(plan, "rest")[0]
    assert rest.ms == 30_000
    assert rest.cues == (TimedCue(("Next: Bridge.",), 1500, from_end=True),)
    assert spoken(plan)[:2] == ["Rest.", "[rest 30000]"]


def test_rest_before_nothing_has_no_heads_up(english: Phrasebook) -> None:
    plan = compile_text(QUIET + "title: T\nsteps:\n  - say: Done.\n  - rest: 10\n", english)
    assert periods(plan, "rest")[0].cues == ()


HOLDS = QUIET + (
    "title: T\nsteps:\n"
    "  - exercise:\n"
    "      name: Knee to chest\n"
    "      setup: Lie on your back.\n"
    "      instructions: [Hug one knee., Keep your head down.]\n"
    "      caution: Stop if it hurts.\n"
    "      reps: 3\n      hold: 6s\n      rest_between: 4s\n      count: none\n"
)


def test_exercise_with_holds_follows_the_instructor_flow(english: Phrasebook) -> None:
    assert spoken(compile_text(HOLDS, english)) == [
        "Knee to chest.",
        "Lie on your back.",
        "Hug one knee.",
        "Keep your head down.",
        "Stop if it hurts.",
        "And hold.",
        "[hold 6000]",
        "And release.",
        "[rest 4000]",
        "Rep 2 of 3.",
        "Hold it there.",
        "[hold 6000]",
        "Slowly release.",
        "[rest 4000]",
        "Last one.",
        "Hold.",
        "[hold 6000]",
        "Relax.",
        "Well done.",
    ]


def test_lines_said_together_keep_a_short_gap(english: Phrasebook) -> None:
    items = compile_text(HOLDS, english).items
    for earlier, later in itertools.pairwise(items):
        assert not (isinstance(earlier, Speak) and isinstance(later, Speak)), (earlier, later)


def test_brief_guidance_says_the_name_and_the_essential_cue(english: Phrasebook) -> None:
    text = HOLDS.replace("title: T\n", "title: T\nguidance: brief\n")
    said = spoken(compile_text(text, english))
    assert said[:3] == ["Knee to chest.", "Hug one knee.", "Stop if it hurts."]
    assert "Lie on your back." not in said and "Rep 2 of 3." not in said
    assert "Last one." in said


def test_minimal_guidance_says_names_holds_counts_and_release_only(english: Phrasebook) -> None:
    text = HOLDS.replace("title: T\n", "title: T\nguidance: minimal\n").replace(
        "count: none", "count: last 2"
    )
    said = [line for line in spoken(compile_text(text, english)) if not line.startswith("[")]
    assert set(said) <= {"Knee to chest.", "And hold.", "Hold it there.", "Hold.", "two", "one"} | {
        "And release.",
        "Slowly release.",
        "Relax.",
    }
    assert said[0] == "Knee to chest."


def test_a_step_can_override_the_routine_guidance(english: Phrasebook) -> None:
    text = HOLDS.replace("count: none\n", "count: none\n    guidance: minimal\n")
    assert "Lie on your back." not in spoken(compile_text(text, english))


def test_get_ready_gives_time_to_get_into_position_before_the_first_rep(
    english: Phrasebook,
) -> None:
    text = HOLDS.replace("defaults: {get_ready: 0}", "defaults: {get_ready: 8s}")
    said = spoken(compile_text(text, english))
    ready = said.index("[get-ready 8000]")
    assert said[ready + 1] == "Get into position."
    assert said[ready + 2] == "And hold."


def test_a_repeated_exercise_is_not_explained_again(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - repeat: 2\n    steps:\n"
        "      - exercise: {name: Bridge, setup: Lie down., instructions: [Lift., Lower.],"
        " hold: 3}\n"
    )
    said = spoken(compile_text(text, english))
    assert said.count("Lie down.") == 1 and said.count("Lower.") == 1
    assert said.count("Lift.") == 2


def test_both_sides_rest_and_get_ready_before_switching(english: Phrasebook) -> None:
    text = HOLDS.replace("defaults: {get_ready: 0}", "defaults: {get_ready: 5s}").replace(
        "reps: 3", "reps: 2\n      sides: both"
    )
    said = spoken(compile_text(text, english))
    assert said.count("[hold 6000]") == 4
    switch = said.index("Switch sides.")
    assert said[switch - 2 : switch + 1] == ["[rest 4000]", "[get-ready 5000]", "Switch sides."]
    assert said[:switch].count("[hold 6000]") == 2
    # The side is named as the get-ready time opens, so the listener moves into the right stretch.
    first = said.index("[get-ready 5000]")
    assert said[first : first + 3] == [
        "[get-ready 5000]",
        "Start with your right side.",
        "And hold.",
    ]
    assert "Get into position." not in said[:switch]


def test_both_sides_of_moving_reps_keep_their_tempo(english: Phrasebook) -> None:
    text = QUIET.replace("get_ready: 0", "get_ready: 5s") + (
        "title: T\nsteps:\n  - exercise: {name: Leg swing, reps: 3, tempo: 4s, sides: both}\n"
    )
    said = spoken(compile_text(text, english))
    switch = said.index("Switch sides.")
    assert said[:switch].count("[rep 4000]") == 3
    assert said[switch:].count("[rep 4000]") == 3
    assert said[said.index("[get-ready 5000]") + 1] == "Start with your right side."


def test_alternate_sides_name_the_side_of_every_rep(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: Bird dog, reps: 2, hold: 5, sides: alternate, count: none}\n"
    )
    said = [line for line in spoken(compile_text(text, english)) if "side" in line]
    assert said == ["Right side.", "Left side.", "Right side.", "Left side."]


def test_alternate_sides_may_start_on_the_left(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - exercise: {name: Bird dog, reps: 2, hold: 5, sides: alternate,"
        " start_side: left, count: none}\n"
    )
    said = [line for line in spoken(compile_text(text, english)) if "side" in line]
    assert said == ["Left side.", "Right side.", "Left side.", "Right side."]


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_both_sides_may_start_on_the_left_in_every_language(language: str) -> None:
    from voiceroutine.library.phrasebook import load_phrasebook

    phrases = load_phrasebook(language)
    text = HOLDS.replace("defaults: {get_ready: 0}", "defaults: {get_ready: 5s}").replace(
        "reps: 3", "reps: 1\n      sides: both\n      start_side: left"
    )
    said = spoken(compile_text(text, phrases))
    first = said.index("[get-ready 5000]")
    assert said[first + 1] == phrases.first("first_side_left")
    assert phrases.first("first_side_left") != phrases.first("first_side")
    assert said.count("[hold 6000]") == 2


@pytest.mark.parametrize("side", ["left", "right"])
def test_one_side_only_names_it_and_does_it_once(english: Phrasebook, side: str) -> None:
    text = HOLDS.replace("defaults: {get_ready: 0}", "defaults: {get_ready: 5s}").replace(
        "reps: 3", f"reps: 2\n      sides: {side}"
    )
    said = spoken(compile_text(text, english))
    first = said.index("[get-ready 5000]")
    assert said[first : first + 3] == ["[get-ready 5000]", f"{side.title()} side.", "And hold."]
    assert said.count("[hold 6000]") == 2  # the reps on that side only
    assert not any("Switch" in line or "other side" in line for line in said)


def test_moving_reps_are_counted_at_the_tempo(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: Pelvic tilt, reps: 4, tempo: 3s}\n"
    reps = periods(compile_text(text, english), "rep")
    assert [p.ms for p in reps] == [3000] * 4
    assert [p.cues[0].texts[0] for p in reps] == ["Begin.", "two", "three", "Last one."]
    assert all(p.cues[0].offset_ms == 0 for p in reps)


def test_moving_reps_on_alternate_sides_name_the_side(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - exercise: {name: Dead bug, reps: 2, tempo: 4s, sides: alternate}\n"
    )
    reps = periods(compile_text(text, english), "rep")
    assert [p.cues[0].texts for p in reps] == [
        ("Right side.",),
        ("Left side.",),
        ("Right side.",),
        ("Last one.", "Left side."),
    ]


def test_sets_are_announced_and_separated_by_a_rest(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: Bridge, reps: 1, hold: 5, sets: 2, rest_between_sets: 15s}\n"
    )
    said = spoken(compile_text(text, english))
    assert "Set 1 of 2." in said and "Set 2 of 2." in said
    assert said.index("[rest 15000]") < said.index("Set 2 of 2.")


def test_no_rest_between_sets_means_no_rest_said(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: Bridge, reps: 1, hold: 5, sets: 2, rest_between_sets: 0}\n"
    )
    said = spoken(compile_text(text, english))
    assert not any(line.startswith("Rest") or line.startswith("[rest") for line in said)


def hold_counts(text: str, english: Phrasebook) -> list[tuple[str, int]]:
    hold = periods(compile_text(text, english), "hold")[0]
    return [(cue.texts[0], cue.offset_ms) for cue in hold.cues]


def test_count_every_second(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 5s, count: every}\n"
    assert hold_counts(text, english) == [
        ("one", 1000),
        ("two", 2000),
        ("three", 3000),
        ("four", 4000),
    ]


def test_count_last_n_seconds(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 20s, count: last 5}\n"
    assert hold_counts(text, english) == [
        ("five", 15_000),
        ("four", 16_000),
        ("three", 17_000),
        ("two", 18_000),
        ("one", 19_000),
    ]


def test_count_halfway_and_countdown(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 20s, count: halfway}\n"
    assert hold_counts(text, english) == [
        ("Halfway.", 10_000),
        ("three", 17_000),
        ("two", 18_000),
        ("one", 19_000),
    ]


def test_count_none_and_default_style(english: Phrasebook) -> None:
    none = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 20s, count: none}\n"
    assert hold_counts(none, english) == []
    by_default = (
        "intro: false\noutro: false\ndefaults: {count: last 2}\n"
        "title: T\nsteps:\n  - exercise: {name: X, hold: 20s}\n"
    )
    assert hold_counts(by_default, english) == [("two", 18_000), ("one", 19_000)]


def test_long_holds_carry_the_exercises_own_cues_in_turn(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - exercise:\n      name: X\n      cues: [Keep breathing., Soft jaw.]\n"
        "      hold: 20s\n      reps: 3\n      count: none\n"
    )
    holds = periods(compile_text(text, english), "hold")
    assert [[c.texts[0] for c in hold.cues] for hold in holds] == [
        ["Keep breathing."],
        ["Soft jaw."],
        ["Keep breathing."],
    ]
    assert holds[0].cues[0].offset_ms == 6000


def test_variants_take_turns_and_the_same_routine_compiles_the_same(english: Phrasebook) -> None:
    first = compile_text(HOLDS, english)
    assert first == compile_text(HOLDS, english)
    releases = [line for line in spoken(first) if line in english.variants("release")]
    assert releases == list(english.variants("release")[:3])


def test_step_keys_override_the_exercise_definition(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: X, reps: 5, hold: 30s}\n    reps: 2\n    hold: 10s\n"
    )
    holds = periods(compile_text(text, english), "hold")
    assert [p.ms for p in holds] == [10_000, 10_000]


def test_catalogue_exercises_by_id_with_overrides(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: bridge\n    reps: 2\n    hold: 7s\n"
    plan = compile_text(text, english)
    assert [p.ms for p in periods(plan, "hold")] == [7000, 7000]
    assert spoken(plan)[0] == "Bridge."


def test_breathing_cues_each_phase_with_counts(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - breathe: {name: Box breathing, inhale: 4, hold: 4, exhale: 4, hold_out: 4,"
        " cycles: 2}\n"
    )
    plan = compile_text(text, english)
    phases = periods(plan)
    assert [(p.kind, p.ms) for p in phases] == [
        ("inhale", 4000),
        ("breath-hold", 4000),
        ("exhale", 4000),
        ("breath-hold", 4000),
    ] * 2
    inhale = phases[0]
    assert inhale.cues[0] == TimedCue(("Breathe in.", "In."), 0)
    assert [(c.texts[0], c.offset_ms) for c in inhale.cues[1:]] == [
        ("two", 1000),
        ("three", 2000),
        ("four", 3000),
    ]
    assert spoken(plan)[0] == "Box breathing."


def test_named_breathing_patterns_and_the_double_inhale_of_the_sigh(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - breathe: sigh\n    cycles: 2\n"
    plan = compile_text(text, english)
    kinds = [(p.kind, p.cues[0].texts[0]) for p in periods(plan)]
    assert (
        kinds
        == [
            ("inhale", "Breathe in."),
            ("inhale", "And in again."),
            ("exhale", "Breathe out."),
        ]
        * 2
    )


def test_breathing_for_a_duration_fits_whole_cycles(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - breathe: {inhale: 4, exhale: 6, counts: false, cycles: 3}\n"
        "    duration: 1m\n"
    )
    phases = periods(compile_text(text, english))
    assert len(phases) == 12
    assert sum(p.ms for p in phases) == 60_000
    assert all(len(p.cues) == 1 for p in phases)


def test_repeat_announces_rounds_and_rests_between_exercises(english: Phrasebook) -> None:
    text = (
        "intro: false\noutro: false\ndefaults: {rest_between_exercises: 7s, get_ready: 0}\n"
        "title: T\nsteps:\n"
        "  - repeat: 2\n    steps:\n"
        "      - exercise: {name: Cat cow, reps: 1, tempo: 2s}\n"
        "      - exercise: {name: Bird dog, reps: 1, tempo: 2s}\n"
    )
    plan = compile_text(text, english)
    said = spoken(plan)
    assert said.count("Cat cow.") == 2 and said.count("Bird dog.") == 2
    assert said.index("Cat cow.") + 1 == said.index("Round 1 of 2.")
    # a rest between every two exercises, before the next round's first exercise
    assert said.count("[rest 7000]") == 3
    second_round = said.index("Round 2 of 2.")
    assert said[second_round - 4 : second_round] == [
        "Take a rest.",
        "[rest 7000]",
        "Coming up: Cat cow.",
        "Cat cow.",
    ]
    assert "Round 2 of 2." not in [item.title for item in plan.items if isinstance(item, Chapter)]


def test_nested_repeats_announce_only_the_outer_rounds(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - repeat: 2\n    steps:\n      - repeat: 3\n        steps:\n"
        "          - exercise: {name: X, tempo: 2s}\n"
    )
    said = spoken(compile_text(text, english))
    assert [line for line in said if line.startswith("Round")] == ["Round 1 of 2.", "Round 2 of 2."]


def test_explicit_rest_replaces_the_automatic_one(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: A, tempo: 2s}\n  - rest: 20s\n  - exercise: {name: B, tempo: 2s}\n"
    )
    rests = periods(compile_text(text, english), "rest")
    assert [p.ms for p in rests] == [20_000]


def test_plan_lists_each_line_once(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, reps: 3, hold: 5, count: none}\n"
    texts = compile_text(text, english).texts()
    assert len(texts) == len(set(texts))
    assert "And hold." in texts


def test_session_starts_and_ends_with_silence(english: Phrasebook) -> None:
    plan = compile_text(QUIET + "title: T\nsteps:\n  - say: Hi.\n", english)
    assert isinstance(plan.items[0], Gap) and plan.items[0].ms > 0
    assert isinstance(plan.items[-1], Gap) and plan.items[-1].ms > 0


def plays(plan: Plan) -> list[str]:
    """Every sound played one after another, by name (a file by its name)."""
    return [item.sound.label for item in plan.items if isinstance(item, Play)]


def test_a_bell_opens_and_closes_the_session_unless_turned_off(english: Phrasebook) -> None:
    plan = compile_text("title: T\nsteps:\n  - say: Hello.\n", english)
    items = [i for i in plan.items if not isinstance(i, (Gap, Chapter))]
    assert isinstance(items[0], Play) and items[0].sound == PaletteSound("bell")
    assert isinstance(items[-1], Play) and items[-1].sound == PaletteSound("bell")
    quiet = compile_text("title: T\naudio: {bell: false}\nsteps:\n  - say: Hello.\n", english)
    assert plays(quiet) == []
    chimed = compile_text("title: T\naudio: {bell: chime}\nsteps:\n  - say: Hello.\n", english)
    assert plays(chimed) == ["chime", "chime"]


def test_sound_steps_play_built_in_sounds_and_files_next_to_the_routine(
    english: Phrasebook, tmp_path: Path
) -> None:
    (tmp_path / "gong.wav").write_bytes(b"RIFF")  # only its existence is checked here
    routine = tmp_path / "r.yaml"
    routine.write_text(QUIET + "title: T\naudio: {bell: false}\nsteps:\n"
                       "  - sound: tick\n  - sound: gong.wav\n")  # fmt: skip
    plan = compile_routine(parse_routine(routine.read_text(), routine), english)
    assert plays(plan) == ["tick", "gong.wav"]
    assert plan.sounds() == [PaletteSound("tick"), SoundFile((tmp_path / "gong.wav").resolve())]


def test_exercises_and_rests_mark_start_and_end_by_default_or_their_own(
    english: Phrasebook,
) -> None:
    text = """title: T
intro: false
outro: false
audio: {bell: false}
defaults:
  get_ready: 0
  rest_between_exercises: 5s
  sounds: {exercise_start: chime, rest_end: tick}
steps:
  - exercise: {name: Reach, reps: 1, tempo: 2s}
  - exercise: {name: Bend, reps: 1, tempo: 2s}
    sounds: {start: none, end: bell}
"""
    plan = compile_text(text, english)
    assert plays(plan) == ["chime", "bell"]
    rest = periods(plan, "rest")[0]
    assert [cue.sound for cue in rest.cues if cue.sound] == [PaletteSound("tick")]
    assert rest.cues[-1].from_end and rest.cues[-1].offset_ms == 0


def test_breath_guide_both_keeps_voice_and_counts_with_the_tones(english: Phrasebook) -> None:
    text = (
        QUIET
        + "title: T\nsteps:\n  - breathe: {inhale: 4, exhale: 4, cycles: 2}\n    guide: both\n"
    )
    inhale = periods(compile_text(text, english), "inhale")[1]
    assert inhale.cues[0].sound == Tone("inhale", 3800)
    assert [cue.texts[0] for cue in inhale.cues[1:]] == ["Breathe in.", "two", "three", "four"]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [("", ["(inhale)"]), (", counts: true", ["(inhale)", "two", "three", "four"])],
)
def test_breath_guide_tones_counts_only_when_asked(
    english: Phrasebook, counts: str, expected: list[str]
) -> None:
    text = (
        QUIET
        + f"title: T\nsteps:\n  - breathe: {{inhale: 4, exhale: 4, cycles: 2{counts}}}\n"
        + "    guide: tones\n"
    )
    inhale = periods(compile_text(text, english), "inhale")[1]  # the voice names cycle 1 only
    assert [cue.texts[0] if cue.texts else f"({cue.sound.name})" for cue in inhale.cues] == (
        expected
    )


def test_count_last_more_seconds_than_the_hold_has_counts_what_it_has(
    english: Phrasebook,
) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 4s, count: last 99999999999}\n"
    started = time.monotonic()
    assert hold_counts(text, english) == [("three", 1000), ("two", 2000), ("one", 3000)]
    assert time.monotonic() - started < 5


def _nested(levels: int, times: int, innermost: Step) -> Routine:
    steps: list[Step] = [innermost]
    for _ in range(levels):
        steps = [RepeatStep(repeat=times, steps=steps)]
    return Routine(title="Nested", steps=steps)


@pytest.mark.parametrize(
    ("levels", "innermost", "message"),
    [
        (3, SayStep(say="Hello."), "lasts more than 12 hours"),
        (8, SayStep(say="Hello."), "lasts more than 12 hours"),
        (3, PauseStep(pause=0), f"more than {MAX_PLAN_ITEMS} steps"),
        (9, PauseStep(pause=0), f"nested more than {MAX_REPEAT_DEPTH} deep"),
    ],
)
def test_compiling_a_routine_too_big_fails_before_expanding_it(
    english: Phrasebook, levels: int, innermost: Step, message: str
) -> None:
    routine = _nested(levels, 1000 if levels < 9 else 1, innermost)
    started = time.monotonic()
    with pytest.raises(VoiceroutineError, match=message):
        compile_routine(routine, english)
    assert time.monotonic() - started < 5


def test_size_problem_points_at_the_step_that_crosses_the_limit() -> None:
    hour = RestStep(rest="1h")
    assert size_problem(Routine(title="T", steps=[hour] * 12)) is None
    problem = size_problem(Routine(title="T", steps=[hour] * 13))
    assert problem is not None and problem.step_path == (12,)
    inner = RepeatStep(repeat=200, steps=[SayStep(say="Hi."), PauseStep(pause="5m")])
    problem = size_problem(Routine(title="T", steps=[SayStep(say="Hi."), inner]))
    assert problem is not None and problem.step_path == (1,)
    deep = _nested(MAX_REPEAT_DEPTH + 1, 1, SayStep(say="Hi."))
    problem = size_problem(deep)
    assert problem is not None and problem.step_path == (0,) * (MAX_REPEAT_DEPTH + 1)


def test_a_routine_just_under_the_limits_compiles_in_good_time(english: Phrasebook) -> None:
    routine = _nested(2, 200, SayStep(say="Hi."))  # 40,000 lines, about 8 hours
    assert size_problem(routine) is None
    started = time.monotonic()
    plan = compile_routine(routine, english)
    assert sum(isinstance(item, Speak) for item in plan.items) > 40_000
    assert time.monotonic() - started < 30


def test_rests_gaps_and_get_ready_count_towards_the_limit(english: Phrasebook) -> None:
    exercise = ExerciseStep(exercise={"name": "Hold it"}, reps=2, hold=30, rest_between=5)
    routine = Routine(title="T", steps=[RepeatStep(repeat=600, steps=[exercise])])
    assert size_problem(routine) is None  # the holds alone last 10 hours
    problem = size_problem(routine, english)  # with rests, get-ready and gaps: over 12
    assert problem is not None and problem.step_path == (0,)
    with pytest.raises(VoiceroutineError, match="lasts more than 12 hours"):
        compile_routine(routine, english)


def test_rounds_are_chapters_of_their_own_and_rests_join_the_chapter_before(
    english: Phrasebook,
) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - repeat: 3\n    steps:\n"
        "      - exercise: {name: Dead bug, reps: 1, hold: 2s}\n      - rest: 3s\n"
        "  - exercise: {name: Bridge, reps: 1, hold: 2s}\n"
    )
    chapters = [
        item.title for item in compile_text(text, english).items if isinstance(item, Chapter)
    ]
    assert [title for title in chapters if title not in ("Introduction", "Closing")] == [
        "Dead bug, round 1 of 3",
        "Dead bug, round 2 of 3",
        "Dead bug, round 3 of 3",
        "Bridge",
    ]


def test_a_breathing_session_gets_a_breathing_safety_line_and_varied_endings(
    english: Phrasebook,
) -> None:
    text = "title: Breath\naudio: {bell: false}\nsteps:\n" + "  - breathe: box\n    cycles: 1\n" * 3
    plan = compile_text(text, english)
    said = spoken(plan)
    assert english.first("safety_breathing") in said
    assert english.first("safety") not in said
    endings = [line for line in said if line in english.variants("breathe_normally")]
    assert len(endings) == 3 and len(set(endings)) == 3
    items = list(plan.items)
    for index, item in enumerate(items):
        if isinstance(item, Speak) and item.text in endings:
            assert isinstance(items[index + 1], Gap) and items[index + 1].ms >= 4000
    with_exercise = spoken(compile_text(text + "  - exercise: bridge\n", english))
    assert english.first("safety") in with_exercise


def test_rests_in_a_row_are_one_rest(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - exercise: {name: Bridge, reps: 1, hold: 2s}\n"
        "  - rest: 5s\n  - rest: 10s\n  - exercise: {name: Bird dog, reps: 1, hold: 2s}\n"
    )
    plan = compile_text(text, english)
    assert [p.ms for p in periods(plan, "rest")] == [15_000]
    said = spoken(plan)
    assert sum(line in english.variants("rest") for line in said) == 1


def test_sounds_keep_the_form_build_ids_were_made_from() -> None:
    # The build id hashes the plan's repr: a sound written as before keeps what was built up
    # to date, and a published episode keeps its id.
    assert repr(PaletteSound("bell")) == "Sound(name='bell', length_ms=None)"
    assert repr(Tone("inhale", 4800)) == "Sound(name='inhale', length_ms=4800)"
    assert repr(SoundFile(Path("/x/gong.wav"))) == "Sound(name='/x/gong.wav', length_ms=None)"
