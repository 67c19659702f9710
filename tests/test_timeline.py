"""The scheduler places cues exactly; periods never stretch; lines that do not fit are dropped."""

from __future__ import annotations

import itertools
from pathlib import Path

from fakes import fake_clip_ms
from voiceroutine.compile import compile_routine
from voiceroutine.library.phrasebook import Phrasebook
from voiceroutine.loader import parse_routine
from voiceroutine.plan import Gap, Period, Plan, Speak, TimedCue
from voiceroutine.timeline import MIN_GAP_MS, Timeline, schedule
from voiceroutine.tts.estimate import estimate_sound_ms


def timeline_of(text: str, phrases: Phrasebook, clip_ms=fake_clip_ms) -> Timeline:
    routine = parse_routine(text, Path("t.yaml"))
    return schedule(compile_routine(routine, phrases), clip_ms, 44_100, estimate_sound_ms)


ROUTINE = """
title: Timing
defaults: {rest_between_exercises: 6s, count: every}
steps:
  - say: Welcome.
  - exercise: {name: Knee to chest, reps: 2, hold: 8s, sides: both, rest_between: 3s}
  - exercise: {name: Pelvic tilt, reps: 3, tempo: 2500ms}
  - breathe: {inhale: 4, hold: 2, exhale: 6, cycles: 2}
  - pause: 4s
"""


def test_holds_last_exactly_from_the_end_of_and_hold_to_release(english: Phrasebook) -> None:
    timeline = timeline_of(ROUTINE, english)
    cues = list(timeline.cues)
    holds = [s for s in timeline.segments if s.kind == "hold"]
    assert len(holds) == 4
    for hold in holds:
        assert hold.end_ms - hold.start_ms == 8000
        before = next(c for c in cues if c.end_ms == hold.start_ms)
        after = next(c for c in cues if c.start_ms == hold.end_ms)
        assert before.text in english.variants("and_hold")
        assert after.text in english.variants("release")


def test_every_period_lasts_what_the_routine_says(english: Phrasebook) -> None:
    timeline = timeline_of(ROUTINE, english)
    lengths: dict[str, list[int]] = {}
    for segment in timeline.segments:
        lengths.setdefault(segment.kind, []).append(segment.end_ms - segment.start_ms)
    assert lengths["hold"] == [8000] * 4
    assert lengths["rep"] == [2500] * 3
    assert lengths["inhale"] == [4000] * 2
    assert lengths["exhale"] == [6000] * 2
    assert lengths["breath-hold"] == [2000] * 2
    assert lengths["pause"] == [4000]
    assert sorted(lengths["rest"]) == [3000, 3000, 3000, 6000]
    assert lengths["get-ready"] == [5000, 5000, 5000]


def test_cues_are_in_order_and_never_overlap(english: Phrasebook) -> None:
    timeline = timeline_of(ROUTINE, english)
    for cue in timeline.cues:
        if cue.kind == "speech":
            assert cue.end_ms - cue.start_ms == fake_clip_ms(cue.text or "")
        else:
            assert cue.sound is not None
            assert cue.end_ms - cue.start_ms == estimate_sound_ms(cue.sound)
    for earlier, later in zip(timeline.cues, timeline.cues[1:], strict=False):
        assert earlier.end_ms <= later.start_ms
    assert timeline.cues[-1].end_ms <= timeline.duration_ms


def test_chapters_tile_the_whole_session(english: Phrasebook) -> None:
    timeline = timeline_of(ROUTINE, english)
    chapters = timeline.chapters
    assert [c.title for c in chapters] == [
        "Introduction",
        "Knee to chest",  # the rest after it is in its chapter
        "Pelvic tilt",
        "Breathing",
        "Closing",
    ]
    assert chapters[0].start_ms == 0
    assert chapters[-1].end_ms == timeline.duration_ms
    for earlier, later in itertools.pairwise(chapters):
        assert earlier.end_ms == later.start_ms
    for cue in timeline.cues:
        chapter = chapters[cue.chapter]
        assert chapter.start_ms <= cue.start_ms < chapter.end_ms


def test_a_count_that_does_not_fit_is_dropped_with_a_warning_and_nothing_moves(
    english: Phrasebook,
) -> None:
    numbers = {"one", "two", "three", "four", "five"}

    def slow_numbers(text: str) -> int:
        return 1500 if text in numbers else fake_clip_ms(text)

    text = "title: T\nintro: false\nsteps:\n  - exercise: {name: X, hold: 6s, count: every}\n"
    fast = timeline_of(text, english)
    slow = timeline_of(text, english, slow_numbers)
    assert [c.text for c in fast.cues if c.text in numbers] == [
        "one",
        "two",
        "three",
        "four",
        "five",
    ]
    # numbers of 1.5 s in 1 s slots: every other one fits, and the last must end before release
    assert [c.text for c in slow.cues if c.text in numbers] == ["one", "three"]
    assert len(slow.warnings) == 3
    assert all("dropped" in w.message for w in slow.warnings)
    hold = next(s for s in slow.segments if s.kind == "hold")
    assert hold.end_ms - hold.start_ms == 6000
    release = next(c for c in slow.cues if c.text in english.variants("release"))
    assert release.start_ms == hold.end_ms
    assert fast.duration_ms == slow.duration_ms


def test_a_long_phase_cue_is_shortened_before_it_is_dropped() -> None:
    plan = Plan(
        "T",
        None,
        (
            Period("inhale", 700, (TimedCue(("Breathe in slowly.", "In."), 0),)),
            Period("exhale", 300, (TimedCue(("Breathe out.", "Out."), 0),)),
        ),
    )
    timeline = schedule(plan, fake_clip_ms, 44_100, estimate_sound_ms)
    assert [c.text for c in timeline.cues] == ["In."]
    assert len(timeline.warnings) == 1
    assert timeline.duration_ms == 1000


def test_heads_up_ends_before_the_rest_does() -> None:
    plan = Plan("T", None, (Period("rest", 10_000, (TimedCue(("Next: X.",), 1500, True),)),))
    timeline = schedule(plan, fake_clip_ms, 44_100, estimate_sound_ms)
    (cue,) = timeline.cues
    assert cue.end_ms == 10_000 - 1500
    assert cue.start_ms == cue.end_ms - fake_clip_ms("Next: X.")


def test_lines_inside_a_period_keep_a_gap_before_its_end() -> None:
    plan = Plan(
        "T",
        None,
        (Period("hold", 1000, (TimedCue(("x" * 20,), 0),)), Speak("Release.")),
    )
    timeline = schedule(plan, fake_clip_ms, 44_100, estimate_sound_ms)
    assert [c.text for c in timeline.cues] == ["Release."]
    assert fake_clip_ms("x" * 20) + MIN_GAP_MS > 1000


def test_speech_and_gaps_advance_the_clock() -> None:
    plan = Plan("T", None, (Gap(500), Speak("Hi."), Gap(700), Speak("Bye.")))
    timeline = schedule(plan, fake_clip_ms, 44_100, estimate_sound_ms)
    first, second = timeline.cues
    assert first.start_ms == 500
    assert second.start_ms == first.end_ms + 700
    assert timeline.duration_ms == second.end_ms


def test_timeline_json_has_the_contract_fields(english: Phrasebook) -> None:
    data = timeline_of(ROUTINE, english).to_json()
    assert set(data) == {"title", "duration_ms", "sample_rate", "chapters", "cues", "segments"}
    assert set(data["chapters"][0]) == {"title", "start_ms", "end_ms"}
    speech = next(cue for cue in data["cues"] if cue["kind"] == "speech")
    assert set(speech) == {"start_ms", "end_ms", "kind", "text", "chapter"}
    bell = data["cues"][0]
    assert bell == {**bell, "kind": "sound", "text": None, "sound": "bell"}
    assert set(data["segments"][0]) == {"kind", "start_ms", "end_ms"}
    assert data["sample_rate"] == 44_100


BREATH_TONES = """
title: Tones
audio: {bell: false}
intro: false
outro: false
steps:
  - breathe: {inhale: 4, hold: 2, exhale: 6, cycles: 3}
    guide: tones
  - rest: 10s
    sounds: {start: chime, end: tick}
  - exercise: {name: Reach, reps: 1, tempo: 2s}
"""


def test_breath_tones_fill_their_phases_and_the_voice_teaches_only_the_first_cycle(
    english: Phrasebook,
) -> None:
    timeline = timeline_of(BREATH_TONES, english)
    phases = [s for s in timeline.segments if s.kind in ("inhale", "exhale", "breath-hold")]
    tones = [cue for cue in timeline.cues if cue.kind == "tone"]
    assert len(tones) == len(phases) == 9
    for tone, phase in zip(tones, phases, strict=True):
        assert tone.start_ms == phase.start_ms
        assert tone.end_ms <= phase.end_ms
        assert tone.sound is not None
        expected = {"inhale": "inhale", "exhale": "exhale", "breath-hold": "hold"}[phase.kind]
        assert tone.sound.name == expected
        if phase.kind != "breath-hold":
            assert phase.end_ms - tone.end_ms == 200  # the tone spans the phase, less a margin
    spoken_in_phases = [
        cue
        for cue in timeline.cues
        if cue.kind == "speech" and any(p.start_ms <= cue.start_ms < p.end_ms for p in phases)
    ]
    first_cycle_end = phases[2].end_ms
    assert len(spoken_in_phases) == 3
    assert all(cue.start_ms < first_cycle_end for cue in spoken_in_phases)
    assert [cue.text for cue in spoken_in_phases] == ["Breathe in.", "Hold.", "Breathe out."]


def test_rest_marks_open_the_rest_and_end_exactly_at_its_end(english: Phrasebook) -> None:
    timeline = timeline_of(BREATH_TONES, english)
    rest = next(s for s in timeline.segments if s.kind == "rest")
    sounds = [cue for cue in timeline.cues if cue.kind == "sound"]
    chime, tick = sounds
    assert chime.sound is not None and chime.sound.name == "chime"
    assert chime.end_ms < rest.start_ms
    assert tick.sound is not None and tick.sound.name == "tick"
    assert tick.end_ms == rest.end_ms


def test_a_sound_that_does_not_fit_its_period_is_dropped_with_a_warning(
    english: Phrasebook,
) -> None:
    text = BREATH_TONES.replace("end: tick", "end: bell").replace("rest: 10s", "rest: 2s")
    timeline = timeline_of(text, english)
    assert not [cue for cue in timeline.cues if cue.sound and cue.sound.name == "bell"]
    assert any("'bell' does not fit in the rest" in w.message for w in timeline.warnings)
