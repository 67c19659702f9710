"""The compiler turns each step kind and option into the spoken flow an instructor would use."""

from __future__ import annotations

from pathlib import Path

from voiceroutine.compiler import compile_routine
from voiceroutine.library.phrasebook import Phrasebook
from voiceroutine.loader import parse_routine
from voiceroutine.plan import Chapter, Gap, Period, Plan, Speak, TimedCue

QUIET = "defaults: {intro: false, outro: false}\n"


def compile_text(text: str, phrases: Phrasebook) -> Plan:
    return compile_routine(parse_routine(text, Path("test.yaml")), phrases)


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


def test_intro_and_outro_frame_the_session(english: Phrasebook) -> None:
    plan = compile_text("title: Evening stretch\nsteps:\n  - say: Hello.\n", english)
    said = spoken(plan)
    assert said[0] == "Evening stretch."
    assert said[1] == english.say("safety")
    assert said[-1] == english.say("outro")
    chapters = [item.title for item in plan.items if isinstance(item, Chapter)]
    assert chapters == ["Introduction", "Closing"]


def test_rest_announces_what_comes_next_before_it_ends(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - rest: 30s\n"
        "  - exercise: {name: Bridge, instructions: [Lift your hips.]}\n"
    )
    plan = compile_text(text, english)
    rest = periods(plan, "rest")[0]
    assert rest.ms == 30_000
    assert rest.cues == (TimedCue(("Next: Bridge.",), 1500, from_end=True),)
    assert spoken(plan)[:2] == ["Rest.", "[rest 30000]"]


def test_rest_before_nothing_has_no_heads_up(english: Phrasebook) -> None:
    plan = compile_text(QUIET + "title: T\nsteps:\n  - say: Done.\n  - rest: 10\n", english)
    assert periods(plan, "rest")[0].cues == ()


def test_exercise_with_holds_follows_the_instructor_flow(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise:\n"
        "      name: Knee to chest\n"
        "      instructions: [Lie on your back., Hug one knee.]\n"
        "      caution: Keep your head down.\n"
        "      reps: 3\n      hold: 6s\n      rest_between: 4s\n      count: none\n"
    )
    assert spoken(compile_text(text, english)) == [
        "Knee to chest.",
        "Lie on your back.",
        "Hug one knee.",
        "Keep your head down.",
        "And hold.",
        "[hold 6000]",
        "And release.",
        "[rest 4000]",
        "Rep 2 of 3.",
        "And hold.",
        "[hold 6000]",
        "And release.",
        "[rest 4000]",
        "Last one.",
        "And hold.",
        "[hold 6000]",
        "And release.",
    ]


def test_both_sides_switch_once_after_all_reps_of_the_first(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: Twist, reps: 2, hold: 5, sides: both, count: none}\n"
    )
    said = spoken(compile_text(text, english))
    assert said.count("Switch sides.") == 1
    assert said.count("[hold 5000]") == 4
    switch = said.index("Switch sides.")
    assert said[:switch].count("[hold 5000]") == 2
    assert said.index("Start with your right side.") < said.index("[hold 5000]")


def test_alternate_sides_name_the_side_of_every_rep(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: Bird dog, reps: 2, hold: 5, sides: alternate, count: none}\n"
    )
    said = [line for line in spoken(compile_text(text, english)) if "side" in line]
    assert said == ["Right side.", "Left side.", "Right side.", "Left side."]


def test_reps_without_hold_are_counted_at_the_tempo(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: Pelvic tilt, reps: 4, tempo: 3s}\n"
    reps = periods(compile_text(text, english), "rep")
    assert [p.ms for p in reps] == [3000] * 4
    assert [p.cues[0].texts[0] for p in reps] == ["1", "2", "3", "Last one."]
    assert all(p.cues[0].offset_ms == 0 for p in reps)


def test_sets_are_announced_and_separated_by_a_rest(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: Bridge, reps: 1, hold: 5, sets: 2, rest_between_sets: 15s}\n"
    )
    said = spoken(compile_text(text, english))
    assert "Set 1 of 2." in said and "Set 2 of 2." in said
    assert said.index("[rest 15000]") < said.index("Set 2 of 2.")


def hold_counts(text: str, english: Phrasebook) -> list[tuple[str, int]]:
    hold = periods(compile_text(text, english), "hold")[0]
    return [(cue.texts[0], cue.offset_ms) for cue in hold.cues]


def test_count_every_second(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 5s, count: every}\n"
    assert hold_counts(text, english) == [("1", 1000), ("2", 2000), ("3", 3000), ("4", 4000)]


def test_count_last_n_seconds(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 20s, count: last 5}\n"
    assert hold_counts(text, english) == [
        ("5", 15_000),
        ("4", 16_000),
        ("3", 17_000),
        ("2", 18_000),
        ("1", 19_000),
    ]


def test_count_halfway_and_countdown(english: Phrasebook) -> None:
    text = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 20s, count: halfway}\n"
    assert hold_counts(text, english) == [
        ("Halfway.", 10_000),
        ("3", 17_000),
        ("2", 18_000),
        ("1", 19_000),
    ]


def test_count_none_and_default_style(english: Phrasebook) -> None:
    none = QUIET + "title: T\nsteps:\n  - exercise: {name: X, hold: 20s, count: none}\n"
    assert hold_counts(none, english) == []
    by_default = (
        "defaults: {intro: false, outro: false, count: last 2}\n"
        "title: T\nsteps:\n  - exercise: {name: X, hold: 20s}\n"
    )
    assert hold_counts(by_default, english) == [("2", 18_000), ("1", 19_000)]


def test_step_keys_override_the_exercise_definition(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n"
        "  - exercise: {name: X, reps: 5, hold: 30s}\n    reps: 2\n    hold: 10s\n"
    )
    holds = periods(compile_text(text, english), "hold")
    assert [p.ms for p in holds] == [10_000, 10_000]


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
        ("2", 1000),
        ("3", 2000),
        ("4", 3000),
    ]
    assert spoken(plan)[0] == "Box breathing."


def test_breathing_for_a_duration_fits_whole_cycles(english: Phrasebook) -> None:
    text = QUIET + (
        "title: T\nsteps:\n  - breathe: {inhale: 4, exhale: 6, counts: false}\n    duration: 1m\n"
    )
    phases = periods(compile_text(text, english))
    assert len(phases) == 12
    assert sum(p.ms for p in phases) == 60_000
    assert all(len(p.cues) == 1 for p in phases)


def test_repeat_announces_rounds_and_rests_between_exercises(english: Phrasebook) -> None:
    text = (
        "defaults: {intro: false, outro: false, rest_between_exercises: 7s}\n"
        "title: T\nsteps:\n"
        "  - repeat: 2\n    steps:\n"
        "      - exercise: {name: Cat cow, reps: 1, tempo: 2s}\n"
        "      - exercise: {name: Bird dog, reps: 1, tempo: 2s}\n"
    )
    said = spoken(compile_text(text, english))
    assert said.count("Cat cow.") == 2 and said.count("Bird dog.") == 2
    assert said.index("Round 1 of 2.") < said.index("Cat cow.")
    # a rest between every two exercises, with the rest placed before the round announcement
    assert said.count("[rest 7000]") == 3
    second_round = said.index("Round 2 of 2.")
    assert said[second_round - 3 : second_round] == ["Rest.", "[rest 7000]", "Next: Cat cow."]


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
