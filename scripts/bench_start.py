"""Benchmark how fast the command starts, against Python importing typer and nothing else.

Usage: python scripts/bench_start.py [--rounds 21]

Each round runs, one after another in fresh processes: `python -c "import
typer"` (the floor: no typer command line starts faster), `voiceroutine
--help`, `voiceroutine build --help`, and `voiceroutine check` of a small
routine. The rounds interleave the commands so that a busy moment on the
machine falls on all of them alike; the medians are printed with their
ratio to the floor and the target for each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_ROUTINE = """\
title: Small
steps:
  - say: Welcome.
  - exercise: bridge
    reps: 2
"""

TARGETS = {"--help": 1.5, "build --help": 1.5, "check small.yaml": 2.5}
"""The most each command may take, as a multiple of importing typer."""


def command_line() -> list[str]:
    """`voiceroutine` as a user runs it: the installed script beside this Python."""
    script = Path(sys.executable).parent / "voiceroutine"
    found = script if script.exists() else shutil.which("voiceroutine")
    return [str(found)] if found else [sys.executable, "-m", "voiceroutine"]


def seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    voiceroutine = command_line()
    with tempfile.TemporaryDirectory(prefix="bench-start-") as root:
        routine = Path(root) / "small.yaml"
        routine.write_text(SMALL_ROUTINE, encoding="utf-8")
        env = {**os.environ, "VOICEROUTINE_CONFIG": str(Path(root) / "none.yaml")}
        commands = {
            "import typer": [sys.executable, "-c", "import typer"],
            "--help": [*voiceroutine, "--help"],
            "build --help": [*voiceroutine, "build", "--help"],
            "check small.yaml": [*voiceroutine, "check", str(routine)],
        }
        for command in commands.values():  # warm the file cache and the bytecode
            seconds(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                times[name].append(seconds(command, env))
    floor = statistics.median(times["import typer"])
    print(f"\nmedian of {args.rounds} interleaved rounds; the floor is `python -c 'import typer'`")
    print("| command | median | ratio to the floor | target |")
    print("|---|---|---|---|")
    print(f"| import typer | {floor * 1000:.0f} ms | 1.00 | |")
    for name, target in TARGETS.items():
        median = statistics.median(times[name])
        ratio = median / floor
        verdict = "met" if ratio <= target else "missed"
        print(f"| {name} | {median * 1000:.0f} ms | {ratio:.2f} | {target} ({verdict}) |")


if __name__ == "__main__":
    main()
