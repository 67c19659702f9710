"""Benchmark a program's build against its encoder alone, and its rebuilds, side by side.

Usage: python scripts/bench_program.py [--program routines/six-week-back.yaml] [--repeat 1]

Measured in this one run, each build in its own process as a user runs it:
  cold build (empty cache) / the bare ffmpeg encodes of its distinct sessions,
    run on every core at once (the PCM each encode gets is the built file decoded);
  unchanged rebuild / cold build;
  rebuild after one rule is edited / cold build, beside the share of the course's
    audio in the sessions that rule changes (the target: the one about the other).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import MP3, timed_cli
from voiceroutine.audio.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
ONE_RULE = (
    "progress: {hold: {add: 1s, every: 1, up_to: 10s}, reps:",
    "progress: {hold: {add: 1s, every: 1, up_to: 8s}, reps:",
)
"""In the six-week course: bird dog's hold stops at 8 s, not 10 s (weeks 5 and 6 of strength)."""


def bare_encodes_seconds(audio: list[Path], folder: Path, cores: int) -> float:
    """Wall time of ffmpeg alone encoding every session's PCM, `cores` encodes at once."""
    rate = str(MP3.default_rate)
    pcms = []
    for index, built in enumerate(audio):
        pcm = folder / f"bare{index}.raw"
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(built),
             "-f", "s16le", "-ac", "1", "-ar", rate, str(pcm)],
            check=True,
        )  # fmt: skip
        pcms.append(pcm)
    kbps = MP3.bitrate(None, 1)

    def encode(pcm: Path) -> None:
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "s16le",
             "-ar", rate, "-ac", "1", "-i", str(pcm), "-c:a", MP3.codec, "-b:a", f"{kbps}k",
             "-f", MP3.muxer, str(pcm.with_suffix(".mp3"))],
            check=True,
        )  # fmt: skip

    started = time.perf_counter()
    with ThreadPoolExecutor(cores) as pool:
        list(pool.map(encode, pcms))
    seconds = time.perf_counter() - started
    for pcm in pcms:
        pcm.unlink()
        pcm.with_suffix(".mp3").unlink()
    return seconds


def built_sessions(folder: Path) -> dict[str, int]:
    """Each session file of a built program, by name, with its modification time."""
    return {path.name: path.stat().st_mtime_ns for path in sorted(folder.glob("w*.mp3"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", type=Path, default=ROOT / "routines" / "six-week-back.yaml")
    parser.add_argument("--repeat", type=int, default=1, help="rounds whose medians are shown")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()}, {cores} cores, "
          f"Python {platform.python_version()}, {platform.platform()}")  # fmt: skip
    times: dict[str, list[float]] = {"cold": [], "bare": [], "unchanged": [], "edited": []}
    changed_share = 0.0
    with tempfile.TemporaryDirectory(prefix="voiceroutine-bench-") as temporary:
        root = Path(temporary)
        for number in range(args.repeat):
            program = root / args.program.name
            shutil.copy(args.program, program)
            env = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(root / f"cache{number}")}
            out = root / f"out{number}"
            folder = out / program.stem
            times["cold"].append(timed_cli("build", str(program), "-o", str(out), env=env)[0])
            sessions = built_sessions(folder)
            audio = [folder / name for name in sessions]
            times["bare"].append(bare_encodes_seconds(audio, root, cores))
            times["unchanged"].append(timed_cli("build", str(program), "-o", str(out), env=env)[0])
            text = program.read_text(encoding="utf-8")
            if ONE_RULE[0] not in text:
                raise SystemExit(f"{program.name} has no rule to edit: {ONE_RULE[0]!r}")
            program.write_text(text.replace(*ONE_RULE), encoding="utf-8")
            times["edited"].append(timed_cli("build", str(program), "-o", str(out), env=env)[0])
            after = built_sessions(folder)
            rebuilt = [name for name in sessions if after[name] != sessions[name]]
            lengths = {
                name: json.loads((folder / name).with_suffix(".json").read_text())["duration_ms"]
                for name in sessions
            }
            changed_share = sum(lengths[name] for name in rebuilt) / sum(lengths.values())
        index = json.loads((folder / "program.json").read_text(encoding="utf-8"))
    cold, bare, unchanged, edited = (statistics.median(times[key]) for key in times)
    audio_minutes = (
        sum(day["duration_ms"] for day in {d["file"]: d for d in index["days"]}.values()) / 60_000
    )
    print(f"\n{args.program.name}: {len(index['days'])} days, {len(sessions)} distinct sessions, "
          f"{audio_minutes:.0f} min of audio; median of {args.repeat} round(s)")  # fmt: skip
    print(f"  bare encodes on {cores} cores    {bare:7.2f} s")
    print(f"  cold build                  {cold:7.2f} s   {cold / bare:5.2f} x the encodes")
    print(f"  unchanged rebuild           {unchanged:7.2f} s   {unchanged / cold:5.3f} x cold")
    print(f"  one rule edited             {edited:7.2f} s   {edited / cold:5.3f} x cold; "
          f"{len(rebuilt)} of {len(sessions)} sessions rebuilt, {changed_share:.3f} of the "
          f"audio: {edited / cold / changed_share:.2f} x proportional")  # fmt: skip


if __name__ == "__main__":
    main()
