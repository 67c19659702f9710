"""Benchmark builds against the encoder alone and a naive pydub build, side by side, as ratios.

Usage: python scripts/bench_build.py [--minutes 5 30 180] [--skip-naive-above 30] [--repeat 3]

For each length it generates a routine, then measures in this one run (the
median of --repeat rounds for each time, one round above an hour):
  cold build (empty cache) / bare ffmpeg encode of PCM of the same length;
  warm rebuild after changing one line / the same encode;
  up-to-date check / cold build;
  naive pydub build (clips and silences joined with +, then export) / our build;
  peak memory of a build (the Python process; the largest ffmpeg beside);
and, once, 8 routines built together (-j 2) / one after another (-j 1).
Every build runs in its own process, as a user runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.formats import FORMATS, AudioFormat

RATE = 44_100
MP3 = FORMATS["mp3"]
BLOCK_MINUTES = 5


def routine_text(minutes: int, marker: str = "Find a quiet spot.") -> str:
    """A routine of about `minutes` minutes: a five-minute block repeated."""
    rounds = max(1, round(minutes / BLOCK_MINUTES))
    return f"""\
title: Benchmark {minutes}
steps:
  - say: {marker}
  - repeat: {rounds}
    steps:
      - exercise: knee-to-chest
        reps: 2
        hold: 20s
      - exercise: bridge
        reps: 4
        hold: 8s
      - exercise: cat-cow
        reps: 6
      - breathe: box
        cycles: 3
      - rest: 20s
"""


def timed_cli(
    *arguments: str, env: dict[str, str], ffmpeg_log: Path | None = None
) -> tuple[float, dict[str, float]]:
    """Run `voiceroutine ARGS` in a child process: wall time and its peak memory (MB).

    The peak is the child's own high-water mark (VmHWM). getrusage's ru_maxrss
    would not do: Linux carries a process's maximum over fork and exec, so a
    child of this (large) benchmark process would report this process's size.
    With `ffmpeg_log`, every ffmpeg the build runs goes through a wrapper that
    appends the ffmpeg's own peak to that file (about 30 ms more per ffmpeg run).
    The child runs the command's own entry point, main(), as the installed
    `voiceroutine` does: it also decides how the process ends.
    """
    probe = (
        "import re, sys, json\n"
        "from voiceroutine.launch import main\n"
        "sys.argv = ['voiceroutine', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    peak = int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) / 1024\n"
        "    print(json.dumps({'python_mb': peak}), file=sys.stderr)\n"
    )
    if ffmpeg_log is not None:
        env = {**env, "VOICEROUTINE_FFMPEG": str(ffmpeg_wrapper(ffmpeg_log))}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, *arguments], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"build failed: {done.stderr}")
    memory = json.loads(done.stderr.strip().splitlines()[-1])
    if ffmpeg_log is not None:
        peaks = [float(line) for line in ffmpeg_log.read_text().split()]
        memory["ffmpeg_mb"] = max(peaks, default=0.0)
    return seconds, memory


def ffmpeg_wrapper(log: Path) -> Path:
    """A small script that runs the bundled ffmpeg and appends its peak memory (MB) to `log`."""
    wrapper = log.with_suffix(".py")
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import resource, subprocess, sys\n"
        f"code = subprocess.call([{ffmpeg_exe()!r}, *sys.argv[1:]])\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        f"with open({str(log)!r}, 'a') as file:\n"
        "    file.write(f'{peak}\\n')\n"
        "sys.exit(code)\n",
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper


def bare_encode_seconds(built: Path, folder: Path, audio_format: AudioFormat = MP3) -> float:
    """ffmpeg alone encoding the session's own PCM, with the build's settings for the format.

    The PCM is the built file decoded, so the encoder gets the same sound:
    LAME takes half again as long on noise as on speech and silence.
    """
    pcm = folder / "bare.raw"
    rate = str(audio_format.default_rate)
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(built),
         "-f", "s16le", "-ac", "1", "-ar", rate, str(pcm)],
        check=True,
    )  # fmt: skip
    codec = ["-c:a", audio_format.codec]
    kbps = audio_format.bitrate(None, 1)
    if kbps is not None:
        codec += ["-b:a", f"{kbps}k"]
    started = time.perf_counter()
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "s16le",
         "-ar", rate, "-ac", "1", "-i", str(pcm), *codec, "-f", audio_format.muxer,
         str(folder / f"bare.{audio_format.extension}")],
        check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    pcm.unlink()
    return seconds


def naive_seconds(timeline_file: Path, routine: Path, cache: Path, folder: Path) -> float:
    """The obvious way: every clip and silence joined with pydub's +, then exported."""
    os.environ["VOICEROUTINE_CACHE_DIR"] = str(cache)
    from voiceroutine import api
    from voiceroutine.audio.ffmpeg import audio_segment_class
    from voiceroutine.tts.registry import create_engine

    AudioSegment = audio_segment_class()
    timeline = json.loads(timeline_file.read_text(encoding="utf-8"))
    compiled = api.compile_file(routine)
    _, speech, _ = api.spoken_timeline(compiled, create_engine("pyttsx3"), cache)
    started = time.perf_counter()
    session = AudioSegment.silent(duration=0, frame_rate=RATE)
    clock = 0
    for cue in timeline["cues"]:
        if cue["kind"] != "speech":
            continue
        session += AudioSegment.silent(duration=cue["start_ms"] - clock, frame_rate=RATE)
        pcm = (np.clip(speech.clips[cue["text"]], -1, 1) * 32767).astype("<i2").tobytes()
        session += AudioSegment(pcm, sample_width=2, frame_rate=RATE, channels=1)
        clock = cue["start_ms"] + len(pcm) // 2 * 1000 // RATE
    session += AudioSegment.silent(duration=timeline["duration_ms"] - clock, frame_rate=RATE)
    session.export(str(folder / "naive.mp3"), format="mp3", bitrate="64k")
    return time.perf_counter() - started


def bench_length(minutes: int, rounds: int, root: Path, naive: bool) -> float:
    """Measure and print one routine length; return its build's peak memory (MB).

    Each round builds from an empty cache into a new folder (cold), encodes the
    same PCM with ffmpeg alone (bare), checks it again (up to date) and rebuilds
    after changing one line (warm); the medians of the rounds are shown, since
    one run on a shared machine can be off by a tenth. Memory is read in a
    last forced rebuild, with every ffmpeg wrapped to report its own peak.
    """
    folder = root / f"m{minutes}"
    folder.mkdir()
    routine = folder / f"bench{minutes}.yaml"
    times: dict[str, list[float]] = {"bare": [], "cold": [], "warm": [], "check": []}
    for number in range(rounds):
        env = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(folder / f"cache{number}")}
        out = folder / f"out{number}"
        routine.write_text(routine_text(minutes), encoding="utf-8")
        times["cold"].append(timed_cli("build", str(routine), "-o", str(out), env=env)[0])
        times["bare"].append(bare_encode_seconds(out / f"bench{minutes}.mp3", folder))
        times["check"].append(timed_cli("build", str(routine), "-o", str(out), env=env)[0])
        routine.write_text(routine_text(minutes, f"Find a calm spot {number}."), encoding="utf-8")
        times["warm"].append(timed_cli("build", str(routine), "-o", str(out), env=env)[0])
    bare, cold, warm, check = (statistics.median(times[key]) for key in times)
    _, memory = timed_cli(
        "build", str(routine), "-o", str(out), "--force", env=env, ffmpeg_log=folder / "ffmpeg.log"
    )
    timeline_file = out / f"bench{minutes}.json"
    duration_ms = json.loads(timeline_file.read_text(encoding="utf-8"))["duration_ms"]
    print(f"\n{minutes}-minute routine ({duration_ms / 60_000:.1f} min of audio), "
          f"median of {rounds} round{'s' if rounds > 1 else ''}")  # fmt: skip
    print(f"  bare ffmpeg encode          {bare:7.2f} s")
    print(f"  cold build                  {cold:7.2f} s   {cold / bare:5.2f} x encode")
    print(f"  warm rebuild (1 line)       {warm:7.2f} s   {warm / bare:5.2f} x encode")
    print(f"  up-to-date check            {check:7.2f} s   {check / cold:5.3f} x cold")
    print(f"  peak memory                 {memory['python_mb']:7.0f} MB  "
          f"(each ffmpeg at most {memory['ffmpeg_mb']:.0f} MB)")  # fmt: skip
    if naive:
        naive_time = naive_seconds(
            timeline_file, routine, Path(env["VOICEROUTINE_CACHE_DIR"]), folder
        )
        ours, _ = timed_cli("build", str(routine), "-o", str(out), "--force", env=env)
        ratio = naive_time / ours
        print(f"  naive pydub build           {naive_time:7.2f} s   {ratio:5.2f} x ours "
              f"({ours:.2f} s, warm cache)")  # fmt: skip
    return memory["python_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[5, 30, 180])
    parser.add_argument("--skip-naive-above", type=int, default=30)
    parser.add_argument(
        "--repeat", type=int, default=3,
        help="rounds of encode, cold and warm builds whose medians are shown (one above 60 min)",
    )  # fmt: skip
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.platform()}")  # fmt: skip
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="voiceroutine-bench-") as temporary:
        root = Path(temporary)
        for minutes in args.minutes:
            rounds = args.repeat if minutes <= 60 else 1
            peaks[minutes] = bench_length(minutes, rounds, root, minutes <= args.skip_naive_above)
        if 30 in peaks and 180 in peaks:
            print(f"\npeak memory 180 min / 30 min: {peaks[180] / peaks[30]:.2f} "
                  f"({peaks[180]:.0f} MB / {peaks[30]:.0f} MB)")  # fmt: skip
        batch_folder = root / "batch"
        batch_folder.mkdir()
        env = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(batch_folder / "cache")}
        routines = []
        for index in range(8):
            path = batch_folder / f"r{index}.yaml"
            path.write_text(routine_text(5, f"Routine number {index + 1}."), encoding="utf-8")
            routines.append(str(path))
        timed_cli("build", *routines, "-o", str(batch_folder / "warmup"), "-j", "2", env=env)
        serial, _ = timed_cli("build", *routines, "-o", str(batch_folder / "a"), "-j", "1", env=env)
        together, _ = timed_cli("build", *routines, "-o", str(batch_folder / "b"), "-j", "2",
                                env=env)  # fmt: skip
        print(
            f"\n8 five-minute routines: one after another {serial:.2f} s, "
            f"together (-j 2) {together:.2f} s: {serial / together:.2f} x faster"
        )


if __name__ == "__main__":
    main()
