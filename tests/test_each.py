"""One template for many people: `build TEMPLATE --each people.csv`, its variables, its CSV."""

from __future__ import annotations

import csv
import datetime
import json
import shutil
from pathlib import Path

import pytest
import yaml

from audio_tools import decode
from cli_tools import run_cli
from voiceroutine import api
from voiceroutine.audio.tags import read_routine_source
from voiceroutine.errors import VoiceroutineError
from voiceroutine.personal.people import read_people
from voiceroutine.personal.template import Template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = """\
title: "Break for {name}"
variables:
  greeting: Hello
  hold: 3s
  goodbye: "Well done, {name}."
audio: {bell: false}
outro: "{goodbye}"
defaults: {get_ready: 2s, rest_between_exercises: 1s}
steps:
  - say: "{greeting} {name}, sit tall. {{Braces}} stay."
  - exercise: chin-tuck
    reps: "{reps}"
    hold: "{hold}"
"""


def write(folder: Path, template: str, people: str) -> tuple[Path, Path]:
    (folder / "break.yaml").write_text(template, encoding="utf-8")
    (folder / "people.csv").write_text(people, encoding="utf-8")
    return folder / "break.yaml", folder / "people.csv"


def spoken(timeline_file: Path) -> list[str]:
    timeline = json.loads(timeline_file.read_text(encoding="utf-8"))
    return [cue["text"] for cue in timeline["cues"] if cue["kind"] == "speech"]


def said(timeline: api.Timeline) -> list[str | None]:
    return [cue.text for cue in timeline.cues if cue.kind == "speech"]


def test_each_person_gets_their_session_and_a_bad_row_is_reported_at_its_cell(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        TEMPLATE,
        "id,name,reps,hold,greeting\n"
        "ann,Ann,1,,\n"
        "bo,Bo,2,2s,Hi\n"
        "cy,Cy,many,3s,\n",  # reps must be a number
    )
    result = run_cli("build", "break.yaml", "--each", "people.csv", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    folder = tmp_path / "out" / "break"
    assert result.stderr.splitlines()[-1] == (
        "error: people.csv:4:3: reps: input should be a valid integer, got 'many' "
        "(the template's {reps}, at break.yaml:12:11)"
    )
    assert "wrote out/break/summary.csv  (2 built, 1 failed; 21 lines spoken" in result.stdout
    extensions = ("chapters.json", "json", "mp3", "vtt")
    assert sorted(file.name for file in folder.iterdir()) == [
        *(f"{who}.{extension}" for who in ("ann", "bo") for extension in extensions),
        "summary.csv",
    ]
    assert spoken(folder / "ann.json")[0] == "Break for Ann."
    assert "Hello Ann, sit tall. {Braces} stay." in spoken(folder / "ann.json")
    assert "Hi Bo, sit tall. {Braces} stay." in spoken(folder / "bo.json")
    assert spoken(folder / "bo.json")[-1] == "Well done, Bo."  # a default naming a variable
    ann = json.loads((folder / "ann.json").read_text())
    bo = json.loads((folder / "bo.json").read_text())
    holds = [[s for s in t["segments"] if s["kind"] == "hold"] for t in (ann, bo)]
    assert [len(h) for h in holds] == [1, 2]  # one rep, two reps
    assert [h[0]["end_ms"] - h[0]["start_ms"] for h in holds] == [3000, 2000]
    for who, timeline in (("ann", ann), ("bo", bo)):
        samples = decode(folder / f"{who}.mp3")
        assert abs(len(samples) / 44.1 - timeline["duration_ms"]) < 60  # the whole session
    # The file carries its person's routine, which loads back into the same session.
    source = read_routine_source(folder / "bo.mp3")
    assert "Hi Bo, sit tall." in source and "{Braces}" in source and "{name}" not in source
    copy = tmp_path / "bo-alone.yaml"
    copy.write_text(source, encoding="utf-8")
    rebuilt = api.build(copy, api.BuildOptions(out_dir=tmp_path / "rebuilt"))
    assert rebuilt.synthesized == 0  # every line as the batch spoke it
    assert spoken(rebuilt.timeline_file) == spoken(folder / "bo.json")
    with (folder / "summary.csv").open(encoding="utf-8") as summary:
        rows = list(csv.DictReader(summary))
    assert [(r["id"], r["status"], r["file"]) for r in rows] == [
        ("ann", "built", "ann.mp3"), ("bo", "built", "bo.mp3"), ("cy", "failed", ""),
    ]  # fmt: skip
    assert float(rows[0]["duration"]) == pytest.approx(ann["duration_ms"] / 1000, abs=0.05)
    assert rows[2]["message"].startswith("people.csv:4:3: reps: input should be a valid integer")

    again = run_cli("build", "break.yaml", "--each", "people.csv", "-o", "out", cwd=tmp_path)
    assert again.returncode == 1
    assert "(0 built, 2 up to date, 1 failed; 0 lines spoken for the batch)" in again.stdout


def test_shared_lines_are_spoken_once_for_the_whole_batch(tmp_path: Path) -> None:
    template, people = write(
        tmp_path, TEMPLATE, "id,name,reps\n" + "".join(f"p{n},Pat,1\n" for n in range(4))
    )
    options = api.BuildOptions(out_dir=tmp_path / "out")
    result = api.build_each(template, people, options, jobs=2)
    assert result.totals() == "4 built, 0 failed"
    alone = tmp_path / "alone.yaml"
    alone.write_text(TEMPLATE.replace("  hold: 3s\n", "  hold: 3s\n  name: Pat\n  reps: 1\n"))
    one = api.build(alone, api.BuildOptions(out_dir=tmp_path / "alone", force=True))
    # Four people who say the same lines cost the lines of one session, no more.
    assert result.spoken == one.synthesized + one.reused
    assert {o.result.synthesized for o in result.outcomes if o.result} == {0}


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ("name,reps\nAnn,1\n", "people.csv:1:1: no 'id' column"),
        ("id,na me\nann,Ann\n", "people.csv:1:2: column name 'na me' cannot name a variable"),
        ("id,name,name\nann,A,B\n", "people.csv:1:3: column 'name' is named twice"),
        ("", "people.csv:1:1: the file is empty"),
        ("id,name\n", "people.csv:2:1: the file has a header but no people"),
        ('id,name\nann,"Ann\n', "people.csv:2: invalid CSV: unexpected end of data"),
    ],
)
def test_a_csv_that_cannot_be_read_is_refused_with_its_place(
    tmp_path: Path, people: str, message: str
) -> None:
    write(tmp_path, TEMPLATE, people)
    result = run_cli("build", "break.yaml", "--each", "people.csv", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"error: {message}"), result.stderr
    assert not (tmp_path / "out").exists()


def test_rows_with_a_bad_id_or_cells_are_refused_alone(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "\ufeffid,name\nann,Ann\n\nbad id,B\nANN,Again\ncy\n../up,Up\n", encoding="utf-8"
    )
    people = read_people(path)
    assert [(p.line, p.id, p.values) for p in people.rows] == [
        (2, "ann", {"id": "ann", "name": "Ann"})
    ]
    assert [(r.line, str(r.error)) for r in people.refused] == [
        (4, f"{path}:4:1: id 'bad id' cannot name a file: use letters, digits, '.', '-' and '_' "
            "(at most 100, starting with a letter or digit)"),
        (5, f"{path}:5:1: id 'ANN' is already the id on line 2"),
        (6, f"{path}:6:2: 1 cells in this row, and 2 in the header"),
        (7, f"{path}:7:1: id '../up' cannot name a file: use letters, digits, '.', '-' and '_' "
            "(at most 100, starting with a letter or digit)"),
    ]  # fmt: skip


def test_a_variable_nothing_supplies_stops_the_batch_at_its_place(tmp_path: Path) -> None:
    write(tmp_path, TEMPLATE, "id,name\nann,Ann\n")  # no reps column, and no default
    result = run_cli("build", "break.yaml", "--each", "people.csv", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: break.yaml:12:11: no value for {reps}: people.csv has no 'reps' column, and "
        "variables: gives no default"
    )
    assert not (tmp_path / "out").exists()


def test_an_empty_cell_takes_the_default_or_is_reported(tmp_path: Path) -> None:
    template, people = write(tmp_path, TEMPLATE, "id,name,reps\nann,Ann,1\nbo,,1\n")
    result = api.build_each(template, people, api.BuildOptions(out_dir=tmp_path / "out"), 1)
    failed = [o for o in result.outcomes if o.status == "failed"]
    assert [(o.id, o.error) for o in failed] == [
        ("bo", f"{people}:3:2: name is empty, and the template's variables: gives no default")
    ]


def test_a_template_builds_alone_with_its_defaults_and_names_what_it_lacks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "alone.yaml"
    path.write_text(TEMPLATE.replace("  hold: 3s\n", "  hold: 3s\n  name: you\n  reps: 1\n"))
    assert "Hello you, sit tall. {Braces} stay." in said(api.check(path))
    path.write_text(TEMPLATE)
    with pytest.raises(VoiceroutineError) as caught:
        api.check(path)
    assert str(caught.value).startswith(f"{path}:1:8: no value for {{name}}: give it a default")
    # Without variables:, braces in text are only text.
    plain = tmp_path / "plain.yaml"
    plain.write_text('title: Plain\nsteps:\n  - say: "Say {this} as written."\n')
    assert "Say {this} as written." in said(api.check(plain))


def test_a_lone_variable_is_read_as_yaml_reads_it_and_a_text_keeps_its_type() -> None:
    root = yaml.compose(
        'variables: {n: "7"}\na: "{n}"\nb: "n is {n}"\nc: [&x "{n}", *x]\nd: "{{n}}"\n'
    )
    template = Template(Path("t.yaml"), root)
    filled = template.filled({"n": "8"})
    assert yaml.SafeLoader("").construct_document(filled.node) == {
        "variables": {"n": "7"}, "a": 8, "b": "n is 8", "c": [8, 8], "d": "{n}",
    }  # fmt: skip
    assert template.defaults == {"n": "7"}
    assert filled.variables_at == {(2, 4): ("n",), (3, 4): ("n",), (4, 5): ("n",)}
    assert template.unsupplied(("id",)) == []
    assert [use.name for use in Template(Path("t.yaml"), yaml.compose("a: '{m}'")).uses] == ["m"]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("18:00", "18:00"),  # YAML 1.1 would read 1080
        ("no", "no"),  # Norwegian, not false
        ("010", "010"),  # not 8
        ("1_000", "1_000"),
        ("12", 12),
        ("-2", -2),
        ("1.5", 1.5),
        ("true", True),
        ("2027-01-04", datetime.date(2027, 1, 4)),
        ("30s", "30s"),
    ],
)
def test_a_value_from_a_cell_is_read_as_typed_where_yaml_would_surprise(
    cell: str, value: object
) -> None:
    template = Template(Path("t.yaml"), yaml.compose('a: "{v}"'))
    filled = yaml.SafeLoader("").construct_document(template.filled({"v": cell}).node)
    assert filled == {"a": value} and type(filled["a"]) is type(value)


def test_the_bundled_template_builds_for_every_person(tmp_path: Path) -> None:
    for name in ("desk-break-for.yaml", "people.csv"):
        shutil.copy(ROOT / "routines" / name, tmp_path / name)
    result = api.build_each(
        tmp_path / "desk-break-for.yaml",
        tmp_path / "people.csv",
        api.BuildOptions(out_dir=tmp_path / "out"),
        jobs=2,
    )
    assert result.totals() == "4 built, 0 failed"
    carla = next(o.result for o in result.outcomes if o.id == "carla")
    assert carla is not None and carla.timeline is not None
    assert carla.timeline.voice.language == "de"
    assert carla.timeline.title == "Schreibtischpause"


PROGRAM = """\
title: "Two days for {name}"
variables: {time: "08:00", hold: 3s}
audio: {bell: false}
defaults: {get_ready: 1s, rest_between_exercises: 1s}
program:
  weeks: 1
  start: "{start}"
  time: "{time}"
  schedule: {mon: short, wed: short}
sessions:
  short:
    steps:
      - say: "Hello {name}."
      - exercise: chin-tuck
        reps: 1
        hold: "{hold}"
"""


def test_a_program_template_gives_each_person_their_course(tmp_path: Path) -> None:
    write(
        tmp_path,
        PROGRAM,
        "id,name,start,time,hold\n"
        "ann,Ann,2027-01-04,18:00,\n"
        "bo,Bo,2027-01-11,,5s\n"
        "cy,Cy,2027-02-30,,\n",  # no such day
    )
    result = run_cli("build", "break.yaml", "--each", "people.csv", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: people.csv:4:3: start: input should be a valid date or datetime, day value is "
        "outside expected range, got '2027-02-30' (the template's {start}, at break.yaml:7:10)"
    )
    folder = tmp_path / "out" / "break"
    for who, first, time in (("ann", "2027-01-04", "18:00"), ("bo", "2027-01-11", "08:00")):
        assert f"wrote out/break/{who}/program.json  2 days, 1 distinct session (1 built)" in (
            result.stdout
        )
        course = folder / who
        assert sorted(file.name for file in course.iterdir()) == [
            "program.html", "program.ics", "program.json",
            "w01-mon-short.chapters.json", "w01-mon-short.json", "w01-mon-short.mp3",
            "w01-mon-short.vtt",
        ]  # fmt: skip
        index = json.loads((course / "program.json").read_text(encoding="utf-8"))
        assert [day["date"] for day in index["days"]] == [first, str(
            datetime.date.fromisoformat(first) + datetime.timedelta(days=2)
        )]  # fmt: skip
        start = first.replace("-", "") + "T" + time.replace(":", "") + "00"
        assert f"DTSTART:{start}" in (course / "program.ics").read_text(encoding="utf-8")
        assert f"Hello {who.title()}." in spoken(course / "w01-mon-short.json")
        decoded_ms = len(decode(course / "w01-mon-short.mp3")) / 44.1
        assert abs(decoded_ms - index["days"][0]["duration_ms"]) < 60
    bo = json.loads((folder / "bo" / "w01-mon-short.json").read_text(encoding="utf-8"))
    assert [s["end_ms"] - s["start_ms"] for s in bo["segments"] if s["kind"] == "hold"] == [5000]
    with (folder / "summary.csv").open(encoding="utf-8") as summary:
        rows = list(csv.DictReader(summary))
    assert [(r["id"], r["status"], r["file"]) for r in rows] == [
        ("ann", "built", "ann/program.json"), ("bo", "built", "bo/program.json"),
        ("cy", "failed", ""),
    ]  # fmt: skip
    ann = json.loads((folder / "ann" / "program.json").read_text(encoding="utf-8"))
    total_s = sum(day["duration_ms"] for day in ann["days"]) / 1000
    assert float(rows[0]["duration"]) == pytest.approx(total_s, abs=0.05)
    ics = [(folder / who / "program.ics").read_text(encoding="utf-8") for who in ("ann", "bo")]
    uids = [{line for line in text.splitlines() if line.startswith("UID:")} for text in ics]
    assert not uids[0] & uids[1], "two people's calendars share no event"

    again = run_cli("build", "break.yaml", "--each", "people.csv", "-o", "out", cwd=tmp_path)
    assert "(0 built, 2 up to date, 1 failed; 0 lines spoken for the batch)" in again.stdout


def test_the_bundled_program_template_builds_a_course(tmp_path: Path) -> None:
    for name in ("home-program-for.yaml", "patients.csv"):
        shutil.copy(ROOT / "routines" / name, tmp_path / name)
    people = (tmp_path / "patients.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "patients.csv").write_text("\n".join(people[:2]) + "\n", encoding="utf-8")
    result = api.build_each(
        tmp_path / "home-program-for.yaml",
        tmp_path / "patients.csv",
        api.BuildOptions(out_dir=tmp_path / "out"),
        jobs=2,
        today=datetime.date(2026, 12, 7),
    )
    assert result.totals() == "1 built, 0 failed"
    (ana,) = result.outcomes
    assert ana.program is not None and ana.program.calendar_start == datetime.date(2027, 1, 4)
    assert str(ana.program.course.plan.time)[:5] == "07:30"
    holds = []
    for session in ana.program.sessions:
        assert session.result is not None
        timeline = json.loads(session.result.timeline_file.read_text(encoding="utf-8"))
        assert timeline["title"] == "Back care"
        said_first = [cue["text"] for cue in timeline["cues"] if cue["kind"] == "speech"]
        assert any(text.startswith("Hello Ana. Lie on your back") for text in said_first)
        holds.append(
            max(s["end_ms"] - s["start_ms"] for s in timeline["segments"] if s["kind"] == "hold")
        )
    assert holds == [10_000, 15_000], "Ana's 10 s hold, 5 s longer in the second week"
