"""Read the people of a batch from a CSV file: a header of variable names, a row per person."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.yamlsource import read_source

ID_COLUMN = "id"
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
"""An id names a person's files: letters, digits, dots, dashes and underscores, at most 100."""
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_CSV_BYTES = 200_000_000


@dataclass(frozen=True)
class Person:
    """One row: its line in the file, its id, and its values by column (empty cells left out)."""

    line: int
    id: str
    values: dict[str, str]


@dataclass(frozen=True)
class Refused:
    """A row that cannot be a person (its id, or its number of cells), and why."""

    line: int
    id: str
    error: VoiceroutineError


@dataclass(frozen=True)
class People:
    """The people of a CSV file in its order, the rows refused, and the header's columns."""

    file: Path
    columns: tuple[str, ...]
    rows: tuple[Person, ...]
    refused: tuple[Refused, ...] = ()

    def place(self, person: Person, column: str) -> Place:
        """Where `person`'s value for `column` stands: its line, and the column's number."""
        return Place(self.file, person.line, self.columns.index(column) + 1)


def read_people(path: Path) -> People:
    """The people in the CSV file at `path`; a VoiceroutineError at its line and column when
    the file as a whole cannot be read (its header); a bad row is refused on its own."""
    text = read_source(path, "CSV", MAX_CSV_BYTES)
    reader = csv.reader(text.removeprefix("\ufeff").splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise VoiceroutineError(
                "the file is empty; expected a header row naming the columns, one of them 'id'",
                Place(path, 1, 1),
            )
        columns = tuple(cell.strip() for cell in header)
        _check_header(path, columns)
        people = _People(path, columns)
        for cells in reader:
            people.add(reader.line_num, cells)
    except csv.Error as error:
        raise VoiceroutineError(f"invalid CSV: {error}", Place(path, reader.line_num)) from None
    if not people.rows and not people.refused:
        raise VoiceroutineError("the file has a header but no people", Place(path, 2, 1))
    return People(path, columns, tuple(people.rows), tuple(people.refused))


def _check_header(path: Path, columns: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for number, column in enumerate(columns, 1):
        place = Place(path, 1, number)
        if not VARIABLE_NAME.fullmatch(column):
            raise VoiceroutineError(
                f"column name '{column}' cannot name a variable: use letters, digits and _, "
                "not starting with a digit (the template says {name} for the column 'name')",
                place,
            )
        if column in seen:
            raise VoiceroutineError(f"column '{column}' is named twice", place)
        seen.add(column)
    if ID_COLUMN not in seen:
        raise VoiceroutineError(
            "no 'id' column: each person needs an id, which names their files", Place(path, 1, 1)
        )


class _People:
    """The rows read so far: each checked for its number of cells and an id safe and new."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.path = path
        self.columns = columns
        self.id_column = columns.index(ID_COLUMN) + 1
        self.rows: list[Person] = []
        self.refused: list[Refused] = []
        self.lines_of: dict[str, int] = {}

    def add(self, line: int, cells: list[str]) -> None:
        if not any(cell.strip() for cell in cells):
            return  # a blank line
        if len(cells) != len(self.columns):
            place = Place(self.path, line, min(len(cells), len(self.columns)) + 1)
            message = f"{len(cells)} cells in this row, and {len(self.columns)} in the header"
            self.refused.append(Refused(line, "", VoiceroutineError(message, place)))
            return
        values = {
            column: cell.strip()
            for column, cell in zip(self.columns, cells, strict=True)
            if cell.strip()
        }
        person_id = values.get(ID_COLUMN, "")
        place = Place(self.path, line, self.id_column)
        problem = None
        if not SAFE_ID.fullmatch(person_id):
            problem = (
                f"id '{person_id}' cannot name a file: use letters, digits, '.', '-' and '_' "
                "(at most 100, starting with a letter or digit)"
            )
        elif person_id.lower() in self.lines_of:  # files differing in case clash on some disks
            problem = (
                f"id '{person_id}' is already the id on line {self.lines_of[person_id.lower()]}"
            )
        if problem:
            self.refused.append(Refused(line, person_id, VoiceroutineError(problem, place)))
            return
        self.lines_of[person_id.lower()] = line
        self.rows.append(Person(line, person_id, values))
