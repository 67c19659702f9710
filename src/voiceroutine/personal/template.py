"""A template's {variables}: found in its YAML, and filled in from one person's values.

Any text value of a routine or program may name a variable in braces
(`Well done, {name}.`); `{{` and `}}` stand for the braces themselves. A
value that is only a variable (`hold: "{hold}"`) takes the person's value as
if it had been written there unquoted, so `30s`, `8` or `de` is read as YAML
reads it and then validated like any value of the file; but where YAML 1.1
would surprise (`18:00` as the number 1080, `no` as false, `010` as 8) the
value stays the text that was typed. The template's
`variables:` gives defaults. Filling works on the composed YAML, before
validation, so every problem is still found at its place in the template.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from voiceroutine.errors import Place, VoiceroutineError

VARIABLES_KEY = "variables"
VARIABLE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""`{name}`, or a doubled brace that stands for one."""
_RESOLVER = yaml.resolver.Resolver()
_UNSURPRISING = {
    "tag:yaml.org,2002:int": re.compile(r"[-+]?(0|[1-9][0-9]*)"),
    "tag:yaml.org,2002:float": re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?"),
    "tag:yaml.org,2002:bool": re.compile(r"true|false", re.IGNORECASE),
    "tag:yaml.org,2002:timestamp": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
}
"""The forms in which a person's value is read as a number, a truth value or a date; YAML
1.1 reads others too (sexagesimal `18:00`, `no`, octal `010`), which stay text."""


@dataclass(frozen=True)
class Use:
    """A variable a value of the template names, and where that value stands."""

    name: str
    place: Place


@dataclass(frozen=True)
class Filled:
    """A template's YAML with one person's values in it, and which values took variables."""

    path: Path
    node: yaml.Node
    variables_at: dict[tuple[int, int], tuple[str, ...]]
    """The variables each filled-in value took, by its (line, column) in the template."""

    def variables_of(self, place: Place | None) -> tuple[str, ...]:
        """The variables the value at `place` took (none if it took none, or it is a place in
        another file, such as the template's library)."""
        if place is None or place.file != self.path or place.line is None or place.column is None:
            return ()
        return self.variables_at.get((place.line, place.column), ())


class Template:
    """A routine or program file whose values may name variables."""

    def __init__(self, path: Path, root: yaml.Node) -> None:
        self.path = path
        self.root = root
        self.defaults = _defaults(path, root)
        self.uses = tuple(self._uses())

    @property
    def declares_variables(self) -> bool:
        return _variables_node(self.root) is not None

    def names(self) -> list[str]:
        """Every variable the template's values name, in order of first use."""
        return list(dict.fromkeys(use.name for use in self.uses))

    def unsupplied(self, columns: tuple[str, ...]) -> list[Use]:
        """The first use of each variable that neither a column nor a default supplies."""
        first: dict[str, Use] = {}
        for use in self.uses:
            if use.name not in columns and use.name not in self.defaults:
                first.setdefault(use.name, use)
        return list(first.values())

    def filled(self, values: Mapping[str, str]) -> Filled:
        """The template's YAML with `values` (and the defaults for what they lack) filled in."""
        merged = {**self.defaults, **values}
        for name, default in self.defaults.items():
            if name not in values:  # a default may name others: `welcome: Hello {name}.`
                merged[name] = _substituted(default, {**self.defaults, **values})
        variables_at: dict[tuple[int, int], tuple[str, ...]] = {}
        made: dict[int, yaml.Node] = {}
        skip = _variables_node(self.root)

        def fill(node: yaml.Node) -> yaml.Node:
            if id(node) in made:  # an alias: the same node again
                return made[id(node)]
            if node is skip:
                made[id(node)] = node
            elif isinstance(node, yaml.ScalarNode):
                made[id(node)] = self._scalar(node, merged, variables_at)
            elif isinstance(node, yaml.SequenceNode):
                copy = yaml.SequenceNode(
                    node.tag, [], node.start_mark, node.end_mark, node.flow_style
                )
                made[id(node)] = copy
                copy.value = [fill(item) for item in node.value]
            elif isinstance(node, yaml.MappingNode):
                copy = yaml.MappingNode(
                    node.tag, [], node.start_mark, node.end_mark, node.flow_style
                )
                made[id(node)] = copy
                copy.value = [(key, fill(value)) for key, value in node.value]
            else:
                made[id(node)] = node
            return made[id(node)]

        return Filled(self.path, fill(self.root), variables_at)

    def _scalar(
        self,
        node: yaml.ScalarNode,
        values: Mapping[str, str],
        variables_at: dict[tuple[int, int], tuple[str, ...]],
    ) -> yaml.ScalarNode:
        if not isinstance(node.value, str) or ("{" not in node.value and "}" not in node.value):
            return node
        names = tuple(match[1] for match in VARIABLE.finditer(node.value) if match[1])
        for name in names:
            if name not in values:
                raise VoiceroutineError(
                    f"no value for {{{name}}}: give it a default under variables:, or build "
                    "with --each and a CSV file with a column for it",
                    self._place(node),
                )
        lone = VARIABLE.fullmatch(node.value)
        if lone and lone[1]:
            value = values[lone[1]]
            # As if written there unquoted: `8` is a number, `30s` text, `18:00` text too.
            tag = _value_tag(value)
            filled = yaml.ScalarNode(tag, value, node.start_mark, node.end_mark, None)
        else:
            value = _substituted(node.value, values)
            filled = yaml.ScalarNode(node.tag, value, node.start_mark, node.end_mark, node.style)
        if names:
            mark = node.start_mark
            variables_at[(mark.line + 1, mark.column + 1)] = names
        return filled

    def _uses(self) -> Iterator[Use]:
        """Every variable named in a value, the defaults under `variables:` included."""
        seen: set[int] = set()
        stack = [self.root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
                for match in VARIABLE.finditer(node.value):
                    if match[1]:
                        yield Use(match[1], self._place(node))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(reversed(node.value))
            elif isinstance(node, yaml.MappingNode):
                stack.extend(value for _key, value in reversed(node.value))

    def _place(self, node: yaml.Node) -> Place:
        return Place(self.path, node.start_mark.line + 1, node.start_mark.column + 1)


def _value_tag(value: str) -> str:
    """The type YAML gives `value` unquoted, unless that would surprise (see _UNSURPRISING)."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag == "tag:yaml.org,2002:null":
        return tag
    form = _UNSURPRISING.get(tag)
    if form is not None and not form.fullmatch(value):
        return "tag:yaml.org,2002:str"
    if tag == "tag:yaml.org,2002:timestamp" and not _is_date(value):
        return "tag:yaml.org,2002:str"  # `2027-02-30`: reported as a bad date when validated
    return tag


def _is_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _substituted(text: str, values: Mapping[str, str]) -> str:
    """`text` with each variable replaced by its value (one it lacks left as written)."""

    def value(match: re.Match[str]) -> str:
        if not match[1]:
            return match[0][0]  # a doubled brace
        return values.get(match[1], match[0])

    return VARIABLE.sub(value, text)


def filled_with_defaults(path: Path) -> Callable[[yaml.Node], yaml.Node]:
    """A `fill` for parse_source: a file that declares variables gets its defaults; others
    (which may use braces in their text freely) are left as they are."""

    def fill(root: yaml.Node) -> yaml.Node:
        if _variables_node(root) is None:
            return root
        return Template(path, root).filled({}).node

    return fill


def _variables_node(root: yaml.Node) -> yaml.Node | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == VARIABLES_KEY:
            return value
    return None


def _defaults(path: Path, root: yaml.Node) -> dict[str, str]:
    """The defaults under `variables:`, each as written (validation reports their types)."""
    node = _variables_node(root)
    if node is None:
        return {}
    defaults: dict[str, str] = {}
    if not isinstance(node, yaml.MappingNode):
        return defaults  # validation says what `variables:` must be
    for key, value in node.value:
        scalars = isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)
        if scalars and value.tag != "tag:yaml.org,2002:null":
            defaults[str(key.value)] = str(value.value)
    return defaults
