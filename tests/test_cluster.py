"""An --each batch on a Dask cluster: as the local pool builds it, and surviving a lost worker."""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_tools import decode
from cli_tools import run_cli
from voiceroutine import api

pytest.importorskip("distributed")

from distributed import Client, LocalCluster

TEMPLATE = """\
title: "Session for {name}"
audio: {bell: false}
defaults: {get_ready: 2s, rest_between_exercises: 1s, rest_between_reps: 1s}
steps:
  - say: "Hello {name}. Lie on your back and let your arms rest."
  - exercise: knee-to-chest
    reps: "{reps}"
    hold: 4s
  - rest: 3s
  - say: "That is all for today, {name}."
"""
PEOPLE = ["ann", "bo", "cy", "di", "ed", "flo"]


def write_batch(folder: Path, people_ids: list[str] = PEOPLE) -> tuple[Path, Path]:
    template = folder / "session.yaml"
    template.write_text(TEMPLATE, encoding="utf-8")
    people = folder / "people.csv"
    rows = "".join(f"{who},{who.title()},{2 + n % 3}\n" for n, who in enumerate(people_ids))
    people.write_text("id,name,reps\n" + rows, encoding="utf-8")
    return template, people


@pytest.fixture
def cluster() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as local,
        Client(local) as client,
    ):  # fmt: skip
        yield client


def whole_sessions(folder: Path) -> list[str]:
    """The people whose audio decodes to the whole length its timeline says; nothing else is
    left in the folder but their files and the summary."""
    names = sorted(path.name for path in folder.iterdir())
    assert not [name for name in names if name.startswith(".")], names  # no temporaries
    whole = []
    for who in PEOPLE:
        timeline = json.loads((folder / f"{who}.json").read_text(encoding="utf-8"))
        seconds = len(decode(folder / f"{who}.mp3")) / 44_100
        assert abs(seconds * 1000 - timeline["duration_ms"]) < 60, who
        whole.append(who)
    extensions = ("chapters.json", "json", "mp3", "vtt")
    assert names == sorted([*(f"{w}.{e}" for w in PEOPLE for e in extensions), "summary.csv"])
    return whole


def test_a_worker_killed_mid_batch_costs_only_its_tasks(tmp_path: Path, cluster: Client) -> None:
    template, people = write_batch(tmp_path)
    killed: list[tuple[int, tuple[str, ...]]] = []

    def kill_a_busy_worker(_outcome: object) -> None:
        if killed:
            return
        busy = {worker: keys for worker, keys in cluster.processing().items() if keys}
        if not busy:
            return
        address, keys = next(iter(busy.items()))
        pid = cluster.run(os.getpid, workers=[address])[address]
        os.kill(pid, signal.SIGKILL)
        killed.append((pid, tuple(str(key) for key in keys)))

    address = cluster.scheduler.address
    result = api.build_each(
        template, people, api.BuildOptions(out_dir=tmp_path / "out"), jobs=2,
        on_done=kill_a_busy_worker, cluster=address,
    )  # fmt: skip
    assert killed and killed[0][1], "no worker was busy when one was to be killed"
    assert result.totals() == f"{len(PEOPLE)} built, 0 failed"
    folder = tmp_path / "out" / "session"
    assert whole_sessions(folder) == PEOPLE
    with (folder / "summary.csv").open(encoding="utf-8") as summary:
        assert [row["id"] for row in csv.DictReader(summary)] == PEOPLE  # each once
    assert "Hello Cy." in (folder / "cy.vtt").read_text(encoding="utf-8")


def test_the_cluster_writes_what_the_local_pool_writes(tmp_path: Path) -> None:
    three = PEOPLE[:3]
    write_batch(tmp_path, three)
    command = ["build", "session.yaml", "--each", "people.csv"]
    on_cluster = run_cli(*command, "-o", "cluster", "--cluster", "local", cwd=tmp_path)
    assert on_cluster.returncode == 0, on_cluster.stderr
    assert "(3 built, 0 failed;" in on_cluster.stdout
    # The same clips (the cache the cluster filled), built by the local pool.
    local = run_cli(*command, "-o", "local", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert "0 lines spoken for the batch" in local.stdout
    for who in three:
        for extension in ("mp3", "json", "vtt", "chapters.json"):
            name = f"session/{who}.{extension}"
            assert (tmp_path / "cluster" / name).read_bytes() == (
                tmp_path / "local" / name
            ).read_bytes(), name


PROGRAM = """\
title: "Course for {name}"
audio: {bell: false}
defaults: {get_ready: 1s}
program:
  weeks: 2
  start: 2027-01-04
  schedule: {mon: short}
  progress: {hold: {add: 2s, every: 1, up_to: 20s}}
sessions:
  short:
    steps:
      - say: "Hello {name}."
      - exercise: chin-tuck
        reps: 1
        hold: "{hold}"
"""


def test_a_program_template_on_the_cluster_writes_what_the_local_pool_writes(
    tmp_path: Path, cluster: Client
) -> None:
    """Each person's sessions go in their own folder, on the workers as in the local pool."""
    template = tmp_path / "course.yaml"
    template.write_text(PROGRAM, encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("id,name,hold\nann,Ann,3s\nbo,Bo,4s\n", encoding="utf-8")
    runs = {}
    for where, address in (("cluster", cluster.scheduler.address), ("local", None)):
        options = api.BuildOptions(out_dir=tmp_path / where)
        runs[where] = api.build_each(template, people, options, jobs=2, cluster=address)
        assert runs[where].totals() == "2 built, 0 failed"
    assert runs["local"].spoken == 0, "the local pool found every clip the cluster spoke"
    for who, hold_s in (("ann", 3), ("bo", 4)):
        files = sorted(path.name for path in (tmp_path / "cluster" / "course" / who).iterdir())
        assert [name for name in files if name.endswith(".mp3")] == [
            "w01-mon-short.mp3", "w02-mon-short.mp3",
        ]  # fmt: skip
        for name in (*files, "program.json"):
            if name.endswith(".ics"):
                continue  # stamped with the time it was written
            cluster_file = tmp_path / "cluster" / "course" / who / name
            local_file = tmp_path / "local" / "course" / who / name
            assert cluster_file.read_bytes() == local_file.read_bytes(), (who, name)
        week_two = json.loads(
            (tmp_path / "cluster" / "course" / who / "w02-mon-short.json").read_text()
        )
        holds = [s["end_ms"] - s["start_ms"] for s in week_two["segments"] if s["kind"] == "hold"]
        assert holds == [(hold_s + 2) * 1000]


def test_without_dask_the_cluster_option_says_which_extra_to_install(tmp_path: Path) -> None:
    write_batch(tmp_path)
    probe = (
        "import sys\n"
        "sys.modules['distributed'] = None  # as if the cluster extra were not installed\n"
        "from voiceroutine.cli import main\n"
        "sys.argv = ['voiceroutine', *sys.argv[1:]]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "build", "session.yaml", "--each", "people.csv",
         "--cluster", "local"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: --cluster needs Dask distributed, which is not installed; "
        'pip install "voiceroutine[cluster]"'
    )
    assert not (tmp_path / "output").exists()


def test_an_unreachable_scheduler_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "1s")  # Dask's own setting
    write_batch(tmp_path)
    result = run_cli(
        "build", "session.yaml", "--each", "people.csv", "--cluster", "tcp://127.0.0.1:9",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_the_batch_and_leaves_no_partial_files(tmp_path: Path) -> None:
    """SIGINT to the whole process group, as a terminal sends it: the cluster's workers too."""
    write_batch(tmp_path)
    build = subprocess.Popen(
        [sys.executable, "-m", "voiceroutine", "build", "session.yaml", "--each", "people.csv",
         "-o", "out", "--cluster", "local"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert build.stdout is not None
    first = build.stdout.readline()  # the first session built: the others are on their way
    assert first.startswith("built "), first
    os.killpg(build.pid, signal.SIGINT)
    _, errors = build.communicate(timeout=120)
    assert build.returncode == 130, errors
    assert "Traceback" not in errors
    folder = tmp_path / "out" / "session"
    names = sorted(path.name for path in folder.iterdir())
    assert not [name for name in names if name.startswith(".")], names
    assert "summary.csv" not in names
    for who in {name.split(".")[0] for name in names}:  # each person: a whole set, or nothing
        extensions = ("chapters.json", "json", "mp3", "vtt")
        assert all(f"{who}.{extension}" in names for extension in extensions), names
        timeline = json.loads((folder / f"{who}.json").read_text(encoding="utf-8"))
        seconds = len(decode(folder / f"{who}.mp3")) / 44_100
        assert abs(seconds * 1000 - timeline["duration_ms"]) < 60, who
    assert len({name.split(".")[0] for name in names}) < len(PEOPLE)  # it did stop early
