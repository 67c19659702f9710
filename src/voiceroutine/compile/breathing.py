"""What is said and sounded for a breathing block: each phase cued by voice, tone or both."""

from __future__ import annotations

from collections.abc import Iterator

from voiceroutine.compile.pacing import (
    BREATH_COUNT_MIN_MS,
    HOLD_TONE_MS,
    LINE_GAP_MS,
    SECTION_GAP_MS,
    SETTLE_MS,
    TONE_MARGIN_MS,
)
from voiceroutine.compile.resolved import Breathing, Phase
from voiceroutine.compile.speech import Speech, lines, sentence
from voiceroutine.plan import Chapter, Gap, Period, PlanItem, Sound, Speak, TimedCue, Tone

SHORT_CUES = {
    "breathe_in": "breathe_in_short",
    "breathe_out": "breathe_out_short",
    "top_up": "top_up_short",
}


def breathing_items(breathing: Breathing, speech: Speech) -> Iterator[PlanItem]:
    """A breathing block: its name and intro, every phase of every cycle, the way back."""
    title = breathing.name or speech.phrases.first("chapter_breathing")
    yield Chapter(speech.chapter_title(title, breathing.round))
    said = [sentence(breathing.name)] if breathing.name else []
    if breathing.preface:
        said.append(breathing.preface)
    first_time = speech.first_time(title)
    if breathing.guidance == "full" and first_time:
        said += list(breathing.intro)
    if said:
        yield from lines(said, LINE_GAP_MS)
        yield Gap(SECTION_GAP_MS)
    for cycle in range(breathing.cycles):
        # With tones only, the first cycle still names each phase, to teach the tones.
        voice = breathing.guide != "tones" or cycle == 0
        for phase in breathing.phases:
            cues: list[TimedCue] = []
            if breathing.guide != "voice":
                cues.append(TimedCue((), 0, sound=breath_tone(phase)))
            if voice:
                texts = (speech.phrases.first(phase.cue),)
                if phase.cue in SHORT_CUES:
                    texts += (speech.phrases.first(SHORT_CUES[phase.cue]),)
                cues.append(TimedCue(texts, 0))
            if breathing.counts and phase.ms >= BREATH_COUNT_MIN_MS:
                cues += [
                    TimedCue((speech.phrases.number(k),), (k - 1) * 1000)
                    for k in range(2, phase.ms // 1000 + 1)
                ]
            yield Period(phase.kind, phase.ms, tuple(cues))
    yield Speak(speech.say("breathe_normally"))
    yield Gap(SETTLE_MS)  # time for the breath to settle before the next instruction


def breath_tone(phase: Phase) -> Sound:
    """A rising tone across an inhale, a falling one across an exhale, a marker on a hold."""
    if phase.kind == "breath-hold":
        return Tone("hold", min(HOLD_TONE_MS, max(phase.ms - TONE_MARGIN_MS, 100)))
    name = "inhale" if phase.kind == "inhale" else "exhale"
    return Tone(name, max(phase.ms - TONE_MARGIN_MS, 100))
