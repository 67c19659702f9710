"""Benchmark a personalised batch (--each) against its encoder alone, side by side, in one run.

Usage: python scripts/bench_batch.py [--people 24] [--repeat 3]

The batch is routines/desk-break-for.yaml for --people generated people (a
name, reps and a hold each: five to six minutes each), spoken by the default
voice. The cache is warmed first (not timed); then, in this one run, medians
of --repeat rounds, each build in its own process as a user runs it:
  the floor: ffmpeg alone encoding every session's PCM (the built file
    decoded), as many encodes at once as there are cores;
  the batch from the warm cache (--force) on the local pool / the floor;
  the same with --cluster local (a LocalCluster started and stopped inside
    the command) / the local pool;
  the peak memory of one worker (the largest Python process under the
    command other than the command itself), for half the batch and all of
    it: flat in the batch's size when the two match.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_program import bare_encodes_seconds
from bench_voice import process_tree, status_mb

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "routines" / "desk-break-for.yaml"
NAMES = ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea")
SAMPLE_S = 0.05


def write_people(path: Path, count: int) -> None:
    rows = [
        f"p{n:03d},{NAMES[n % len(NAMES)]},en,{3 + n % 4},{15 + 5 * (n % 4)}s,,,"
        for n in range(count)
    ]
    header = "id,name,language,reps,hold,title,welcome,goodbye"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def run_batch(arguments: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time of `voiceroutine ARGS`, and the peak RSS (MB) of its largest worker."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceroutine", *arguments],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            workers = [pid for pid in process_tree(process.pid)[1:] if _is_python(pid)]
            peak[0] = max([peak[0], *(status_mb(pid, "status", "VmRSS:") for pid in workers)])
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _out, err = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"batch failed: {err}")
    return seconds, peak[0]


def _is_python(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("python")
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3, help="rounds whose medians are shown")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()}, {cores} cores, "
          f"Python {platform.python_version()}, {platform.platform()}")  # fmt: skip
    keys = ("floor", "local", "cluster", "half memory", "local memory", "cluster memory",
            "cluster half memory")  # fmt: skip
    times: dict[str, list[float]] = {key: [] for key in keys}
    with tempfile.TemporaryDirectory(prefix="voiceroutine-bench-") as temporary:
        root = Path(temporary)
        template = root / TEMPLATE.name
        shutil.copy(TEMPLATE, template)
        people, half = root / "people.csv", root / "half.csv"
        write_people(people, args.people)
        write_people(half, args.people // 2)
        env = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(root / "cache")}
        env.pop("VOICEROUTINE_ENGINE", None)
        batch = ["build", str(template), "--each", str(people), "--force"]
        started = time.perf_counter()
        run_batch([*batch, "-o", str(root / "warm")], env)  # speaks every line: not timed
        print(f"warm-up (every line spoken): {time.perf_counter() - started:.1f} s")
        audio = sorted((root / "warm" / template.stem).glob("*.mp3"))
        for _round in range(args.repeat):
            times["floor"].append(bare_encodes_seconds(audio, root, cores))
            seconds, memory = run_batch([*batch, "-o", str(root / "local")], env)
            times["local"].append(seconds)
            times["local memory"].append(memory)
            seconds, memory = run_batch(
                [*batch, "-o", str(root / "cluster"), "--cluster", "local"], env
            )
            times["cluster"].append(seconds)
            times["cluster memory"].append(memory)
            halfway = ["build", str(template), "--each", str(half), "--force"]
            _seconds, memory = run_batch([*halfway, "-o", str(root / "half")], env)
            times["half memory"].append(memory)
            _seconds, memory = run_batch(
                [*halfway, "-o", str(root / "half"), "--cluster", "local"], env
            )
            times["cluster half memory"].append(memory)
        minutes = sum(_minutes(file) for file in audio)
    median = {key: statistics.median(values) for key, values in times.items()}
    print(f"\n{args.people} personalised sessions of {TEMPLATE.name}, {minutes:.1f} min in all, "
          f"from a warm cache; median of {args.repeat} round(s)")  # fmt: skip
    print(f"  floor: bare encodes, {cores} at once   {median['floor']:7.2f} s")
    print(f"  local pool (--each)                {median['local']:7.2f} s"
          f"   {median['local'] / median['floor']:.2f} x the floor")  # fmt: skip
    print(f"  --cluster local                    {median['cluster']:7.2f} s"
          f"   {median['cluster'] / median['local']:.2f} x the local pool")  # fmt: skip
    print(f"  CPU per session minute (local)     {median['local'] * cores / minutes:7.2f} s")
    print("peak memory of one worker")
    print(f"  local pool, {args.people // 2:>3} people             {median['half memory']:7.0f} MB")
    print(f"  local pool, {args.people:>3} people             {median['local memory']:7.0f} MB")
    for key, count in (("cluster half memory", args.people // 2), ("cluster memory", args.people)):
        print(f"  --cluster local, {count:>3} people        {median[key]:7.0f} MB")


def _minutes(audio: Path) -> float:
    import json

    timeline = json.loads(audio.with_suffix(".json").read_text(encoding="utf-8"))
    return timeline["duration_ms"] / 60_000


if __name__ == "__main__":
    main()
