"""Read a routine file into a validated Routine, reporting every problem as file:line:col."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.routine import STEP_KINDS, Routine

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000


class _Node:
    """A YAML node turned into plain data, remembering where it and its keys stand."""

    __slots__ = ("children", "key_marks", "mark", "value")

    def __init__(self, value: Any, mark: yaml.Mark) -> None:
        self.value = value
        self.mark = mark
        self.children: dict[Any, _Node] = {}
        self.key_marks: dict[Any, yaml.Mark] = {}


def load_routine(path: Path) -> Routine:
    """Load and validate the routine at `path`; raise VoiceroutineError with a place."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise VoiceroutineError(
                f"the file is larger than {MAX_FILE_BYTES // 1000} kB", Place(path)
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VoiceroutineError("no such file", Place(path)) from None
    except IsADirectoryError:
        raise VoiceroutineError("is a directory, not a routine file", Place(path)) from None
    except UnicodeDecodeError as error:
        raise VoiceroutineError(
            f"the file is not UTF-8 text (byte {error.start})", Place(path)
        ) from None
    except OSError as error:
        raise VoiceroutineError(f"cannot read the file: {error.strerror}", Place(path)) from None
    return parse_routine(text, path)


def parse_routine(text: str, path: Path) -> Routine:
    """Validate routine YAML `text`; `path` is only used to name the place of errors."""
    root = _compose(text, path)
    if root is None:
        raise VoiceroutineError("the file is empty; a routine needs a title and steps", _at(path))
    if not isinstance(root.value, dict):
        raise VoiceroutineError(
            "a routine must be a mapping with title and steps", _place(path, root.mark)
        )
    try:
        return Routine.model_validate(root.value)
    except ValidationError as error:
        raise _first_problem(error, root, path) from None


def _at(path: Path) -> Place:
    return Place(path, 1, 1)


def _place(path: Path, mark: yaml.Mark) -> Place:
    return Place(path, mark.line + 1, mark.column + 1)


def _compose(text: str, path: Path) -> _Node | None:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        message, mark = _yaml_problem(error)
        raise VoiceroutineError(message, _place(path, mark) if mark else _at(path)) from None
    except yaml.YAMLError as error:
        raise VoiceroutineError(f"invalid YAML: {error}", _at(path)) from None
    if node is None:
        return None
    return _Builder(path).build(node)


_UNCLOSED = {
    "while scanning a quoted scalar": "this quoted text is never closed",
    "while parsing a flow sequence": "this '[' is never closed with ']'",
    "while parsing a flow mapping": "this '{' is never closed with '}'",
}


def _yaml_problem(error: yaml.MarkedYAMLError) -> tuple[str, yaml.Mark | None]:
    """A readable message for a YAML syntax error, and the mark where the user should look."""
    problem = error.problem or "invalid YAML"
    for context, message in _UNCLOSED.items():
        if error.context == context and error.context_mark is not None:
            return f"invalid YAML: {message}", error.context_mark
    if "'\\t'" in problem:
        return "invalid YAML: a tab is not allowed here; indent with spaces", error.problem_mark
    return f"invalid YAML: {problem}", error.problem_mark or error.context_mark


class _Builder:
    """Turns composed YAML nodes into plain data, with a cap on how many it builds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.nodes_left = MAX_NODES
        self.scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node) -> _Node:
        self.nodes_left -= 1
        if self.nodes_left < 0:
            raise VoiceroutineError(
                f"the routine expands to more than {MAX_NODES} YAML values (aliases?)",
                _place(self.path, node.start_mark),
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            result = _Node([], node.start_mark)
            for index, item in enumerate(node.value):
                child = self.build(item)
                result.value.append(child.value)
                result.children[index] = child
            return result
        try:
            return _Node(self.scalars.construct_object(node), node.start_mark)
        except yaml.constructor.ConstructorError as error:
            raise VoiceroutineError(
                f"invalid value: {error.problem}", _place(self.path, node.start_mark)
            ) from None

    def _mapping(self, node: yaml.MappingNode) -> _Node:
        self.scalars.flatten_mapping(node)
        result = _Node({}, node.start_mark)
        for key_node, value_node in node.value:
            where = _place(self.path, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise VoiceroutineError("keys must be plain words", where)
            key = self.scalars.construct_object(key_node)
            if key in result.value:
                raise VoiceroutineError(f"duplicate key '{key}'", where)
            child = self.build(value_node)
            result.value[key] = child.value
            result.children[key] = child
            result.key_marks[key] = key_node.start_mark
        return result


def _first_problem(error: ValidationError, root: _Node, path: Path) -> VoiceroutineError:
    problems = sorted(
        (_describe(detail, root, path) for detail in error.errors(include_url=False)),
        key=lambda problem: (
            (problem.place.line or 0, problem.place.column or 0) if problem.place else (0, 0)
        ),
    )
    first = problems[0]
    if len(problems) > 1:
        count = len(problems) - 1
        more = f" (and {count} more problem{'s' if count > 1 else ''})"
        return VoiceroutineError(first.message + more, first.place)
    return first


def _describe(detail: Any, root: _Node, path: Path) -> VoiceroutineError:
    node, field = _walk(root, detail["loc"])
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if kind == "unknown_key":
        bad_key = context["key"]
        mark = node.key_marks.get(bad_key, node.mark)
        return VoiceroutineError(detail["msg"], _place(path, mark))
    if kind == "step_kind":
        return VoiceroutineError(_step_message(node.value), _place(path, node.mark))
    if kind == "missing":
        return VoiceroutineError(f"missing key '{detail['loc'][-1]}'", _place(path, node.mark))
    label = f"{field}: " if field else ""
    return VoiceroutineError(label + _plain_message(detail), _place(path, node.mark))


def _walk(root: _Node, loc: tuple[Any, ...]) -> tuple[_Node, str | None]:
    """Follow a pydantic error location through the YAML nodes as far as it goes.

    In a list of steps, pydantic puts the step's kind (its union tag) after
    the index; that is not a key of the YAML, so it is skipped.
    """
    node = root
    field: str | None = None
    after_index = False
    for part in loc:
        if after_index and part in STEP_KINDS and isinstance(node.value, dict):
            after_index = False
            continue
        after_index = isinstance(part, int)
        if part in node.children:
            if isinstance(part, str):
                field = part
            node = node.children[part]
    return node, field


def _plain_message(detail: Any) -> str:
    kind = detail["type"]
    value = detail.get("input")
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind in ("duration", "count_style", "breath_amount", "language"):
        return message
    if kind == "too_short":
        return "needs at least one item"
    message = message[0].lower() + message[1:]
    if kind.endswith("_type") or kind.endswith("_parsing") or kind in ("literal_error", "enum"):
        return f"{message}, got {_show(value)}"
    return message


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if value is None:
        return "nothing"
    return repr(value)


def _step_message(value: Any) -> str:
    if not isinstance(value, dict):
        return f"each step must be a mapping such as 'say: Hello', got {_show(value)}"
    kinds = [kind for kind in STEP_KINDS if kind in value]
    if len(kinds) > 1:
        return f"a step can only be one of {', '.join(kinds)}; split it into separate steps"
    for key in value:
        close = difflib.get_close_matches(str(key), STEP_KINDS, n=1)
        if close:
            return f"unknown step '{key}' (did you mean '{close[0]}'?)"
    return "a step needs one of: " + ", ".join(STEP_KINDS)
