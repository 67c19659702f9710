"""Read a program file into a Course: its sessions validated as routines, its days scheduled.

Each session is the program's top level with the session's keys over it,
validated as a routine file would be, so every problem is reported at its
place in the program file. `Course.routine(session, week)` is that
session as it plays in that week: steps joined or left by week, doses grown.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.compile import size_problem
from voiceroutine.errors import Place, SourceWarning, VoiceroutineError
from voiceroutine.library.phrasebook import load_phrasebook
from voiceroutine.loader import validate_routine
from voiceroutine.names import ID_PATTERN
from voiceroutine.personal.template import filled_with_defaults
from voiceroutine.program.model import (
    MAX_SESSIONS,
    RULE_FIELDS,
    STEP_SCHEDULE_KEYS,
    WEEKDAYS,
    Rules,
    Schedule,
    StepSchedule,
)
from voiceroutine.program.progression import dose_in_week, rule_for, with_doses, written_doses
from voiceroutine.routine import RepeatStep, Routine, Step
from voiceroutine.suggest import did_you_mean
from voiceroutine.wording import ROUTINE_WORDING
from voiceroutine.yamlsource import SourceNode, parse_source, place_of, read_source, validate

PROGRAM_KEYS = ("program", "sessions")
StepPath = tuple[int, ...]
"""Where a step is in its session: its index, and inside a repeat the index in it, and so on."""


@dataclass(frozen=True)
class PlacedSchedule:
    """A step's own schedule and rules, and where the step stands in the program file."""

    schedule: StepSchedule
    place: Place

    @property
    def first_week(self) -> int:
        return self.schedule.from_week or 1

    def plays_in(self, week: int) -> bool:
        until = self.schedule.until_week
        return self.first_week <= week and (until is None or week <= until)

    @property
    def rules(self) -> Rules | Literal["none"] | None:
        """The step's own rules, `none` (it follows no rule), or None (the program's)."""
        return self.schedule.progress


@dataclass(frozen=True)
class Session:
    """One session of the course: the routine it is (every step), and its steps' schedules."""

    name: str
    routine: Routine
    schedules: dict[StepPath, PlacedSchedule]


@dataclass(frozen=True)
class Day:
    """A scheduled day: its week (from 1), weekday, date (with a `start`) and session."""

    week: int
    weekday: str
    date: datetime.date | None
    session: str


@dataclass(frozen=True)
class Course:
    """A program file read and checked: the schedule, its sessions and every day."""

    path: Path
    title: str
    plan: Schedule
    sessions: dict[str, Session]
    days: tuple[Day, ...]

    @property
    def language(self) -> str:
        """The language the course speaks: its first session's (sessions may differ)."""
        return next(iter(self.sessions.values())).routine.voice.language

    @property
    def description(self) -> str | None:
        """The course's description: the one its sessions share, else its first session's."""
        return next(iter(self.sessions.values())).routine.description

    def day(self, week: int, weekday: str | None = None) -> Day:
        """The day scheduled on `weekday` of `week` (without a weekday: the week's first)."""
        if not 1 <= week <= self.plan.weeks:
            raise VoiceroutineError(f"week {week}: the course has weeks 1 to {self.plan.weeks}")
        days = [day for day in self.days if day.week == week]
        found = [day for day in days if weekday is None or day.weekday == weekday]
        if not found:
            listed = ", ".join(day.weekday for day in days)
            raise VoiceroutineError(
                f"no session on {weekday} in week {week}; its sessions are on: {listed}"
            )
        return found[0]

    def routine(self, session: str, week: int) -> Routine:
        """The session as it plays in `week`, its introduction saying where in the course it is."""
        from voiceroutine.program.spoken import in_course

        played = self.week(session, week)[0]
        phrases = load_phrasebook(played.voice.language)
        return in_course(played, self, session, week, phrases)

    def week(self, session: str, week: int) -> tuple[Routine, list[tuple[StepPath, Step]]]:
        """The session as it plays in `week`, and each step it plays (not the repeats holding
        them) by its place in the session as written."""
        found = self.sessions[session]
        easy = week in self.plan.easy_weeks
        leaves: list[tuple[StepPath, Step]] = []
        steps = list(self._steps(found, found.routine.steps, (), week, easy, leaves))
        return found.routine.model_copy(update={"steps": steps}), leaves

    def _steps(
        self,
        session: Session,
        steps: list[Step],
        at: StepPath,
        week: int,
        easy: bool,
        leaves: list[tuple[StepPath, Step]],
    ) -> Iterator[Step]:
        for index, step in enumerate(steps):
            path = (*at, index)
            placed = session.schedules.get(path)
            if placed is not None and not placed.plays_in(week):
                continue
            if isinstance(step, RepeatStep):
                inner = list(self._steps(session, step.steps, path, week, easy, leaves))
                if inner:
                    yield step.model_copy(update={"steps": inner})
                continue
            first = placed.first_week if placed else 1
            own = placed.rules if placed else None
            doses = {
                field: dose_in_week(
                    written, rule_for(own, self.plan.progress, field), week, first, easy
                )
                for field, written in written_doses(step, session.routine.defaults).items()
            }
            grown = with_doses(step, doses)
            leaves.append((path, grown))
            yield grown


def load_course(
    path: Path,
    allowances: Allowances = NO_ALLOWANCES,
    warnings: list[SourceWarning] | None = None,
) -> Course:
    """Read and check the program at `path`; raise VoiceroutineError at the problem's place."""
    text = read_source(path, "program")
    fill = filled_with_defaults(path)
    root = parse_source(text, path, "program", warnings=warnings, fill=fill)
    return course_from(root, path, allowances, warnings)


def is_program(root: SourceNode) -> bool:
    """Whether parsed YAML is a program (it has a `program:` block) rather than a routine."""
    return isinstance(root.value, dict) and "program" in root.value


def course_from(
    root: SourceNode,
    path: Path,
    allowances: Allowances = NO_ALLOWANCES,
    warnings: list[SourceWarning] | None = None,
) -> Course:
    """The course of parsed program YAML (see load_course)."""
    if "steps" in root.value:
        raise VoiceroutineError(
            "a program's steps belong to its sessions: put them under sessions: NAME: steps:",
            _key_place(root, path, "steps"),
        )
    if "sessions" not in root.value:
        raise VoiceroutineError("missing key 'sessions'", place_of(root, path))
    plan = validate(Schedule, root.children["program"], path, wording=ROUTINE_WORDING)
    sessions_node = root.children["sessions"]
    if not isinstance(sessions_node.value, dict) or not sessions_node.value:
        raise VoiceroutineError(
            "sessions must be a mapping of session names to sessions",
            place_of(root, path, "sessions"),
        )
    _check_plan(plan, root, path, warnings)
    shared = _without(root, PROGRAM_KEYS)
    session_places = {
        str(name): _key_place(sessions_node, path, name) for name in sessions_node.children
    }
    sessions = {
        str(name): _session(
            str(name), session_places[str(name)], shared, node, plan, path, allowances
        )
        for name, node in sessions_node.children.items()
    }
    days = tuple(_days(plan))
    if len(days) > MAX_SESSIONS:
        raise VoiceroutineError(
            f"the course has {len(days)} sessions; at most {MAX_SESSIONS} are allowed",
            place_of(root, path, "program", "weeks"),
        )
    title = root.value.get("title")
    course = Course(path, title if isinstance(title, str) else "", plan, sessions, days)

    def rule_place(field: str) -> Place:
        return place_of(root, path, "program", "progress", field)

    _check_every_week(course, allowances, session_places, rule_place)
    return course


def _check_plan(
    plan: Schedule, root: SourceNode, path: Path, warnings: list[SourceWarning] | None
) -> None:
    names = [str(name) for name in root.value["sessions"]]
    for weekday, name in plan.schedule.items():
        if name not in names:
            raise VoiceroutineError(
                f"no session named '{name}'{did_you_mean(name, names)}; "
                f"the sessions are: {', '.join(names)}",
                place_of(root, path, "program", "schedule", weekday),
            )
    for index, week in enumerate(plan.easy_weeks):
        if week > plan.weeks:
            raise VoiceroutineError(
                f"easy week {week} is after the last week ({plan.weeks})",
                place_of(root, path, "program", "easy_weeks", index),
            )
    used = set(plan.schedule.values())
    for name in names:
        if name not in used and warnings is not None:
            warnings.append(
                SourceWarning(
                    _key_place(root.children["sessions"], path, name),
                    f"no day of the schedule uses the session '{name}'",
                )
            )


def _session(
    name: str,
    name_place: Place,
    shared: SourceNode,
    node: SourceNode,
    plan: Schedule,
    path: Path,
    allowances: Allowances,
) -> Session:
    import re

    if not re.fullmatch(ID_PATTERN, name):
        raise VoiceroutineError(
            f"a session's name names its files: use lowercase letters, digits and hyphens, "
            f"got '{name}'",
            name_place,
        )
    if not isinstance(node.value, dict):
        raise VoiceroutineError(
            "a session is a routine body: a mapping with steps", _node_place(node, path)
        )
    schedules: dict[StepPath, PlacedSchedule] = {}
    body = node
    if "steps" in node.children:
        steps = _strip_schedules(node.children["steps"], (), path, schedules)
        body = _with_child(node, "steps", steps)
    routine = validate_routine(_merged(shared, body), path, allowances)
    for step_path, placed in schedules.items():
        _check_step_schedule(routine, step_path, placed, plan)
    return Session(name, routine, schedules)


def _check_step_schedule(
    routine: Routine, step_path: StepPath, placed: PlacedSchedule, plan: Schedule
) -> None:
    schedule = placed.schedule
    if schedule.from_week is not None and schedule.from_week > plan.weeks:
        raise VoiceroutineError(
            f"from_week {schedule.from_week} is after the last week ({plan.weeks})", placed.place
        )
    if schedule.until_week is not None and schedule.until_week < placed.first_week:
        raise VoiceroutineError(
            f"until_week {schedule.until_week} is before the step's first week "
            f"({placed.first_week})",
            placed.place,
        )
    step = _step_at(routine.steps, step_path)
    doses = written_doses(step, routine.defaults)
    own = placed.rules
    if isinstance(own, Rules):
        for field in RULE_FIELDS:
            if own.of(field) is not None and field not in doses:
                has = ", ".join(doses) or "none"
                raise VoiceroutineError(
                    f"this step has no {field} to progress (its doses: {has})", placed.place
                )


def _check_every_week(
    course: Course,
    allowances: Allowances,
    session_places: dict[str, Place],
    rule_place: Callable[[str], Place],
) -> None:
    """Every rule starts at or below its limit, and every week's session is within the limits."""
    for name, session in course.sessions.items():
        _check_limits(course, session, session.routine.steps, (), rule_place)
        limit_ms = allowances.session_limit_ms()
        phrases = load_phrasebook(session.routine.voice.language)
        for week in range(1, course.plan.weeks + 1):
            routine = course.routine(name, week)
            if not routine.steps:
                raise VoiceroutineError(
                    f"in week {week} the session '{name}' has no steps left",
                    session_places[name],
                )
            problem = size_problem(routine, phrases, limit_ms)
            if problem is not None:
                raise VoiceroutineError(f"week {week}: {problem.message}", session_places[name])


def _check_limits(
    course: Course,
    session: Session,
    steps: list[Step],
    at: StepPath,
    rule_place: Callable[[str], Place],
) -> None:
    for index, step in enumerate(steps):
        path = (*at, index)
        if isinstance(step, RepeatStep):
            _check_limits(course, session, step.steps, path, rule_place)
            continue
        placed = session.schedules.get(path)
        own = placed.rules if placed else None
        for field, written in written_doses(step, session.routine.defaults).items():
            rule = rule_for(own, course.plan.progress, field)
            if rule is None:
                continue
            beyond = written > rule.limit if rule.add > 0 else written < rule.limit
            if beyond:
                bound = "up_to" if rule.add > 0 else "down_to"
                mine = isinstance(own, Rules) and own.of(field) is not None
                where = placed.place if placed and mine else rule_place(field)
                raise VoiceroutineError(
                    f"the {field} rule's {bound} ({_shown(field, rule.limit)}) is "
                    f"{'below' if rule.add > 0 else 'above'} the dose written for step "
                    f"{'.'.join(str(i + 1) for i in path)} of '{session.name}' "
                    f"({_shown(field, written)})",
                    where,
                )


def _shown(field: str, value: int) -> str:
    return (
        f"{value / 1000:g} s"
        if field in ("hold", "rest_between", "duration", "pause")
        else str(value)
    )


def _days(plan: Schedule) -> Iterator[Day]:
    """Every scheduled day, in the order they come: with a `start`, week 1 is the seven days
    from it, so a course starting on a Wednesday has its first Monday five days later."""
    first = plan.start.weekday() if plan.start else 0
    weekdays = WEEKDAYS[first:] + WEEKDAYS[:first]
    for week in range(1, plan.weeks + 1):
        for weekday in weekdays:
            session = plan.schedule.get(weekday)  # type: ignore[call-overload]
            if session is None:
                continue
            date = day_date(plan.start, week, weekday) if plan.start else None
            yield Day(week, weekday, date, session)


def day_date(start: datetime.date, week: int, weekday: str) -> datetime.date:
    """The date of `weekday` in `week` of a course from `start` (week 1: the seven days from it)."""
    ahead = (WEEKDAYS.index(weekday) - start.weekday()) % 7
    return start + datetime.timedelta(weeks=week - 1, days=ahead)


def _step_at(steps: list[Step], path: StepPath) -> Step:
    step = steps[path[0]]
    for index in path[1:]:
        assert isinstance(step, RepeatStep)
        step = step.steps[index]
    return step


def _strip_schedules(
    node: SourceNode, at: StepPath, path: Path, schedules: dict[StepPath, PlacedSchedule]
) -> SourceNode:
    """The steps list without the program-only keys; each step's schedule noted by its path."""
    if not isinstance(node.value, list):
        return node  # not a list: the routine's validation says so
    stripped = SourceNode([], node.mark, node.written)
    for index, child in node.children.items():
        step = child
        if isinstance(child.value, dict):
            _refuse_misspelt_schedule_keys(child, path)
            found = {key: child.children[key] for key in STEP_SCHEDULE_KEYS if key in child.value}
            if found:
                holder = SourceNode({k: n.value for k, n in found.items()}, child.mark)
                holder.children = dict(found)
                holder.key_marks = {k: child.key_marks[k] for k in found if k in child.key_marks}
                schedule = validate(StepSchedule, holder, path, wording=ROUTINE_WORDING)
                schedules[(*at, index)] = PlacedSchedule(schedule, _node_place(child, path))
                step = _without(child, STEP_SCHEDULE_KEYS)
            if "steps" in step.children and "repeat" in step.value:
                inner = _strip_schedules(step.children["steps"], (*at, index), path, schedules)
                step = _with_child(step, "steps", inner)
        stripped.value.append(step.value)
        stripped.children[index] = step
    return stripped


def _refuse_misspelt_schedule_keys(step: SourceNode, path: Path) -> None:
    """`form_week` is refused as itself: the routine's own list of keys would not name it."""
    for key in step.value:
        if key in STEP_SCHEDULE_KEYS:
            continue
        hint = did_you_mean(str(key), STEP_SCHEDULE_KEYS)
        if hint:
            raise VoiceroutineError(
                f"unknown key '{key}'{hint}; a step in a program may also say: "
                f"{', '.join(STEP_SCHEDULE_KEYS)}",
                _key_place(step, path, key),
            )


def _without(node: SourceNode, keys: tuple[str, ...]) -> SourceNode:
    """A mapping node without `keys`."""
    kept = SourceNode({k: v for k, v in node.value.items() if k not in keys}, node.mark)
    kept.children = {k: v for k, v in node.children.items() if k not in keys}
    kept.key_marks = {k: v for k, v in node.key_marks.items() if k not in keys}
    return kept


def _with_child(node: SourceNode, key: str, child: SourceNode) -> SourceNode:
    """A mapping node with `key`'s value replaced by `child`."""
    changed = SourceNode({**node.value, key: child.value}, node.mark)
    changed.children = {**node.children, key: child}
    changed.key_marks = dict(node.key_marks)
    return changed


def _merged(shared: SourceNode, session: SourceNode) -> SourceNode:
    """The program's top level with the session's keys over it: the session's routine."""
    merged = SourceNode({**shared.value, **session.value}, session.mark)
    merged.children = {**shared.children, **session.children}
    merged.key_marks = {**shared.key_marks, **session.key_marks}
    return merged


def _node_place(node: SourceNode, path: Path) -> Place:
    return Place(path, node.mark.line + 1, node.mark.column + 1)


def _key_place(node: SourceNode, path: Path, key: Any) -> Place:
    mark = node.key_marks.get(key, node.mark)
    return Place(path, mark.line + 1, mark.column + 1)
