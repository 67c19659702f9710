"""Read YAML into a validated pydantic model, reporting every problem as file:line:col."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core.core_schema import ErrorType

from voiceroutine.errors import Place, SourceWarning, VoiceroutineError

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64
MAX_NUMBER_CHARACTERS = 100
"""Longer integers are refused before Python converts them (which is slow and capped)."""
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_INT_TAG = "tag:yaml.org,2002:int"
_STR_TAG = "tag:yaml.org,2002:str"


class SourceNode:
    """A YAML node turned into plain data, remembering where it and its keys stand."""

    __slots__ = ("children", "key_marks", "mark", "value", "written")

    def __init__(self, value: Any, mark: yaml.Mark, written: str | None = None) -> None:
        self.value = value
        self.mark = mark
        self.written = written
        """A scalar YAML read as something other than text (`no`, `010`): as written."""
        self.children: dict[Any, SourceNode] = {}
        self.key_marks: dict[Any, yaml.Mark] = {}


M = TypeVar("M", bound=BaseModel)


def read_source(path: Path, what: str = "routine", max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a YAML (or other text) file, or a VoiceroutineError that names the file."""
    try:
        if path.stat().st_size > max_bytes:
            raise VoiceroutineError(f"the file is larger than {max_bytes // 1000} kB", Place(path))
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VoiceroutineError("no such file", Place(path)) from None
    except IsADirectoryError:
        raise VoiceroutineError(f"is a directory, not a {what} file", Place(path)) from None
    except UnicodeDecodeError as error:
        data = error.object if isinstance(error.object, bytes) else b""
        before = data[: error.start]
        line = before.count(b"\n") + 1
        # The column in characters, counting what decodes before the bad byte on its line.
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise VoiceroutineError(
            f"the file is not UTF-8 text: byte 0x{data[error.start]:02x} here cannot be read "
            "(save the file as UTF-8)",
            Place(path, line, column),
        ) from None
    except OSError as error:
        raise VoiceroutineError(f"cannot read the file: {error.strerror}", Place(path)) from None


def parse_source(
    text: str,
    path: Path,
    what: str,
    bundled: bool = False,
    warnings: list[SourceWarning] | None = None,
    fill: Callable[[yaml.Node], yaml.Node] | None = None,
) -> SourceNode:
    """Parse YAML text into plain data that remembers positions; it must be a mapping.

    `bundled` text (the package's own catalogue) is parsed by libyaml where
    PyYAML has it, ten times as fast; user files always by the Python parser,
    whose messages the error catalogue is written against. YAML that is
    valid but probably not what was meant (see `_Builder`) is added to `warnings`.
    `fill` may change the composed YAML before it becomes data (a template's
    variables, personal/template.py); positions stay those of `text`.
    """
    node = compose_source(text, path, bundled)
    if node is not None and fill is not None:
        node = fill(node)
    return source_from_node(node, path, what, warnings)


def source_from_node(
    node: yaml.Node | None, path: Path, what: str, warnings: list[SourceWarning] | None = None
) -> SourceNode:
    """Composed YAML (see compose_source) as plain data that remembers positions; it must be
    a mapping."""
    root = None if node is None else _Builder(path, warnings).build(node)
    if root is None:
        raise VoiceroutineError(f"the file is empty; expected a {what}", _at(path))
    if not isinstance(root.value, dict):
        raise VoiceroutineError(f"expected a {what} (a mapping of keys)", _place(path, root.mark))
    return root


@dataclass(frozen=True)
class Wording:
    """How a model's own errors are put in words: the model's module knows, this one does not.

    Errors of a type pydantic does not define are the model's own, and their
    message is shown as it is; `by_type` words one from the YAML value at its
    place instead, and `by_pattern` the value that does not match a pattern.
    """

    union_tags: frozenset[str] = frozenset()
    """Tags pydantic puts in an error's location after a list index: not keys of the YAML."""
    by_type: Mapping[str, Callable[[Any], str]] = default(default_factory=dict)
    by_pattern: Mapping[str, Callable[[Any], str]] = default(default_factory=dict)


PLAIN = Wording()


def validate(
    model: type[M],
    root: SourceNode,
    path: Path,
    context: Any = None,
    wording: Wording = PLAIN,
) -> M:
    """Validate parsed data against `model`; the first problem is raised with its place."""
    try:
        return model.model_validate(root.value, context=context)
    except ValidationError as error:
        raise _problems(error, root, path, wording) from None
    except (OSError, RuntimeError) as error:  # a check of a named file failed unexpectedly
        name = getattr(error, "filename", None)
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise VoiceroutineError(
            f"cannot use the file named here: {printable(reason)}",
            _place(path, _naming(root, name if isinstance(name, str) else None).mark),
        ) from None


def place_naming(root: SourceNode, path: Path, filename: str) -> Place:
    """Where the text value that names `filename` stands (the file's start if none does)."""
    return _place(path, _naming(root, filename).mark)


def _naming(root: SourceNode, filename: str | None) -> SourceNode:
    """The text value that names `filename` (or one starting with `~`), else `root`."""
    stack = [root]
    while stack:
        node = stack.pop()
        value = node.value if isinstance(node.value, str) else ""
        named = (filename and value in filename) or (not filename and value.startswith("~"))
        if value.strip() and named:
            return node
        stack.extend(reversed(list(node.children.values())))
    return root


def place_of(root: SourceNode, path: Path, *keys: Any) -> Place:
    """Where the value at `keys` (a path of mapping keys and list indexes) stands."""
    node = root
    for key in keys:
        if key not in node.children:
            break
        node = node.children[key]
    return _place(path, node.mark)


def _at(path: Path) -> Place:
    return Place(path, 1, 1)


def _place(path: Path, mark: yaml.Mark) -> Place:
    return Place(path, mark.line + 1, mark.column + 1)


def compose_source(text: str, path: Path, bundled: bool = False) -> yaml.Node | None:
    """The YAML text composed into nodes (None if it holds none); errors with their place."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if bundled else yaml.SafeLoader
    try:
        node = yaml.compose(text, Loader=loader)
    except RecursionError:
        raise VoiceroutineError("the YAML is nested too deeply", _at(path)) from None
    except yaml.MarkedYAMLError as error:
        message, mark = _yaml_problem(error)
        raise VoiceroutineError(message, _place(path, mark) if mark else _at(path)) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_and_column(text, error.position)
        character = error.character if isinstance(error.character, str) else chr(error.character)
        raise VoiceroutineError(
            f"invalid YAML: the character U+{ord(character):04X} is not allowed in YAML text",
            Place(path, line, column),
        ) from None
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())
        raise VoiceroutineError(f"invalid YAML: {message}", _at(path)) from None
    return node


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of `position` in `text`, breaking lines as YAML does."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, position):
        line, start = line + 1, match.end()
    return line, position - start + 1


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


_OCTAL = re.compile(r"[-+]?0[0-7_]+")
"""What YAML 1.1 reads as an octal number: `010` is 8."""
_SENTENCE_END = (".", "!", "?", ":", ";")


class _Builder:
    """Turns composed YAML nodes into plain data, with a cap on how many it builds.

    It also notes two YAML traps as warnings: a number with a leading zero
    (read as octal) and a `[flow, list]` whose commas split a sentence.
    """

    def __init__(self, path: Path, warnings: list[SourceWarning] | None = None) -> None:
        self.path = path
        self.warnings = warnings
        self.nodes_left = MAX_NODES
        self.scalars = yaml.SafeLoader("")
        self.open: list[yaml.Node] = []
        """The nodes being built, outermost first."""
        self.built: set[int] = set()

    def build(self, node: yaml.Node) -> SourceNode:
        # Places are made only for errors: a catalogue has thousands of nodes.
        self.nodes_left -= 1
        if self.nodes_left < 0:
            raise self._too_many(node)
        if any(node is outer for outer in self.open):
            raise VoiceroutineError("this value contains an alias to itself", self._at(node))
        if len(self.open) >= MAX_DEPTH:
            raise VoiceroutineError(
                f"the YAML is nested more than {MAX_DEPTH} levels deep", self._at(node)
            )
        self.open.append(node)
        try:
            return self._build(node)
        finally:
            self.open.pop()
            self.built.add(id(node))

    def _at(self, node: yaml.Node) -> Place:
        return _place(self.path, node.start_mark)

    def _too_many(self, node: yaml.Node) -> VoiceroutineError:
        """The error for too many values, at the outermost value that aliases repeat."""
        repeated = next((outer for outer in self.open if id(outer) in self.built), None)
        if repeated is None:
            return VoiceroutineError(
                f"the file has more than {MAX_NODES} YAML values",
                _place(self.path, node.start_mark),
            )
        return VoiceroutineError(
            f"the file expands to more than {MAX_NODES} YAML values: "
            "aliases repeat this value too many times",
            _place(self.path, repeated.start_mark),
        )

    def _build(self, node: yaml.Node) -> SourceNode:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            if node.flow_style:
                self._note_split_sentence(node)
            result = SourceNode([], node.start_mark)
            for index, item in enumerate(node.value):
                child = self.build(item)
                result.value.append(child.value)
                result.children[index] = child
            return result
        value = self._scalar(node)
        if isinstance(value, str):
            return SourceNode(value, node.start_mark)
        octal = isinstance(value, int) and _OCTAL.fullmatch(node.value)
        if octal and int(node.value.replace("_", ""), 10) != value:
            self._warn(
                f"YAML reads {node.value} as the octal number {value}; "
                "write the number without its leading zero",
                node,
            )
        return SourceNode(value, node.start_mark, node.value)

    def _warn(self, message: str, node: yaml.Node) -> None:
        if self.warnings is not None:
            self.warnings.append(SourceWarning(self._at(node), message))

    def _note_split_sentence(self, node: yaml.SequenceNode) -> None:
        """Warn once when a `[...]` list's commas seem to cut a sentence into items."""
        texts = [
            item.value if isinstance(item, yaml.ScalarNode) and item.style is None else ""
            for item in node.value
        ]
        for before, after in itertools.pairwise(texts):
            continues = after[:1].islower() and (" " in after or after.endswith(_SENTENCE_END))
            if before and continues and not before.endswith(_SENTENCE_END):
                self._warn(
                    f"the commas in this [...] list split '{_shorten(before, 30)}, "
                    f"{_shorten(after, 30)}' into separate lines; put a line with a comma "
                    'in quotes ("...") or write the list one "- line" per row',
                    node,
                )
                return

    def _scalar(self, node: yaml.Node) -> Any:
        """The value of a scalar, or a VoiceroutineError at its place for one YAML cannot read."""
        if node.tag in (_STR_TAG, _VALUE_TAG):
            # Text is the node's own value (what PyYAML's constructor returns, at a fraction
            # of the cost); the YAML 1.1 value key `=` is plain text here too.
            return node.value
        if node.tag == _INT_TAG and len(node.value) > MAX_NUMBER_CHARACTERS:
            raise VoiceroutineError(
                f"this number is too large ({len(node.value)} characters); "
                f"write at most {MAX_NUMBER_CHARACTERS}",
                self._at(node),
            )
        try:
            return self.scalars.construct_object(node)
        except yaml.constructor.ConstructorError as error:
            problem = error.problem or "it cannot be read"
            if problem.startswith("could not determine a constructor"):
                problem = f"unknown tag '{node.tag}'"
            message = f"invalid value: {problem}"
        except Exception:  # PyYAML's constructors fail in many ways on a bad value
            kind = node.tag.rsplit(":", 1)[-1]
            message = f"invalid value: {_shorten(str(node.value))!r} is not a valid {kind}"
        raise VoiceroutineError(message, self._at(node))

    def _mapping(self, node: yaml.MappingNode) -> SourceNode:
        result = SourceNode({}, node.start_mark)
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise VoiceroutineError("keys must be plain words", self._at(key_node))
            key = key_node.value  # as written: `null:` or `yes:` is a misspelt key, not None
            if key in result.value:
                raise VoiceroutineError(f"duplicate key '{_shorten(str(key))}'", self._at(key_node))
            child = self.build(value_node)
            result.value[key] = child.value
            result.children[key] = child
            result.key_marks[key] = key_node.start_mark
        for merge in merges:
            self._merge(result, merge)
        return result

    def _merge(self, result: SourceNode, node: yaml.Node) -> None:
        """Add the keys of a `<<` merge that the mapping does not set itself; the first wins."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise VoiceroutineError(
                    "'<<' can only merge a mapping or a list of mappings",
                    _place(self.path, source.start_mark),
                )
            merged = self.build(source)
            for key, child in merged.children.items():
                if key not in result.value:
                    result.value[key] = child.value
                    result.children[key] = child
                    result.key_marks[key] = merged.key_marks[key]


def _shorten(text: str, limit: int = 60) -> str:
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _problems(
    error: ValidationError, root: SourceNode, path: Path, wording: Wording
) -> VoiceroutineError:
    """Every problem pydantic found, in file order: the first, carrying the others."""
    problems = sorted(
        (_describe(detail, root, path, wording) for detail in error.errors(include_url=False)),
        key=lambda problem: (
            (problem.place.line or 0, problem.place.column or 0) if problem.place else (0, 0)
        ),
    )
    found = [VoiceroutineError(printable(p.message), p.place) for p in problems]
    return VoiceroutineError(found[0].message, found[0].place, tuple(found[1:]))


def printable(text: str) -> str:
    """`text` on one line: line breaks and other unprintable characters written as escapes."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _describe(detail: Any, root: SourceNode, path: Path, wording: Wording) -> VoiceroutineError:
    node, field = _walk(root, detail["loc"], wording.union_tags)
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if kind == "unknown_key":
        bad_key = context["key"]
        mark = node.key_marks.get(bad_key, node.mark)
        return VoiceroutineError(detail["msg"], _place(path, mark))
    if kind in wording.by_type:
        return VoiceroutineError(wording.by_type[kind](node.value), _place(path, node.mark))
    if kind == "missing":
        return VoiceroutineError(f"missing key '{detail['loc'][-1]}'", _place(path, node.mark))
    label = f"{field}: " if field else ""
    message = _plain_message(detail, node, wording)
    return VoiceroutineError(label + message, _place(path, node.mark))


def _walk(
    root: SourceNode, loc: tuple[Any, ...], union_tags: frozenset[str]
) -> tuple[SourceNode, str | None]:
    """Follow a pydantic error location through the YAML nodes as far as it goes.

    In a list of tagged unions (steps), pydantic puts the item's tag after the
    index; that is not a key of the YAML, so it is skipped.
    """
    node = root
    field: str | None = None
    after_index = False
    for part in loc:
        if after_index and part in union_tags and isinstance(node.value, dict):
            after_index = False
            continue
        after_index = isinstance(part, int)
        if part in node.children:
            field = part if isinstance(part, str) else None
            node = node.children[part]
    return node, field


PYDANTIC_ERRORS = frozenset(get_args(ErrorType))
"""The error types pydantic itself raises; any other is a model's own, worded by the model."""


def _plain_message(detail: Any, node: SourceNode, wording: Wording) -> str:
    kind = detail["type"]
    value = detail.get("input")
    if node.written is not None and value is node.value:
        value = _Written(node.written, value)
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind not in PYDANTIC_ERRORS:
        if isinstance(value, _Written) and message.endswith(f"got {value.read_as!r}"):
            return message.removesuffix(f"{value.read_as!r}") + str(value)
        return message
    if kind == "too_short":
        return "needs at least one item"
    if kind == "string_pattern_mismatch" and detail["ctx"]["pattern"] in wording.by_pattern:
        return wording.by_pattern[detail["ctx"]["pattern"]](value)
    if kind == "model_type":
        return f"expected a mapping of keys, got {shown(value)}"
    if kind == "model_attributes_type":
        return f"expected a mapping of keys or a name, got {shown(value)}"
    message = message[0].lower() + message[1:]
    if kind.endswith("_type") or kind.endswith("_parsing") or kind in ("literal_error", "enum"):
        return f"{message}, got {shown(value)}"
    return message


class _Written:
    """A scalar as the user wrote it, with what YAML read it as."""

    def __init__(self, text: str, read_as: Any) -> None:
        self.text = text
        self.read_as = read_as

    def __str__(self) -> str:
        if isinstance(self.read_as, bool) or self.read_as is None:
            meaning = "nothing" if self.read_as is None else str(self.read_as).lower()
            return f"{self.text} (YAML reads an unquoted {self.text} as {meaning})"
        return self.text


def shown(value: Any) -> str:
    """A value as an error message shows it: `'text'`, `3`, `a list`, `nothing`."""
    if isinstance(value, _Written):
        return str(value)
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if value is None:
        return "nothing"
    if isinstance(value, (str, int, float, bool)):
        return repr(value)
    return f"'{value}'"
