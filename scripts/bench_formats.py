"""Benchmark a build in every output format against ffmpeg alone encoding that format.

Usage: python scripts/bench_formats.py [--minutes 20] [--repeat 3]

One routine (the benchmark block of bench_build.py, about 25 minutes of audio
at --minutes 20) is built once to fill the clip cache. Then, for each format
in turn and in each round: a forced rebuild from the warm cache, in its own
process as a user runs it, and the bundled ffmpeg alone encoding the same
session's PCM with the same encoder and bitrate. The medians are printed with
their ratio: what the build adds to the encoder (mixing, levelling, the
true-peak and loudness check of the decoded file, tags, any second encode).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bench_build import bare_encode_seconds, routine_text, timed_cli
from voiceroutine.audio.formats import FORMATS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", nargs="+", default=list(FORMATS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as root:
        folder = Path(root)
        env = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(folder / "cache")}
        routine = folder / "session.yaml"
        routine.write_text(routine_text(args.minutes), encoding="utf-8")
        out = folder / "out"
        timed_cli("build", str(routine), "-o", str(out), "--format", "wav", env=env)
        built = out / "session.wav"
        builds: dict[str, list[float]] = {name: [] for name in args.formats}
        bares: dict[str, list[float]] = {name: [] for name in args.formats}
        for _ in range(args.repeat):
            for name in args.formats:
                command = ["build", str(routine), "-o", str(out), "--format", name, "--force"]
                builds[name].append(timed_cli(*command, env=env)[0])
                bares[name].append(bare_encode_seconds(built, folder, FORMATS[name]))
        print(f"\n{args.minutes}-minute routine, median of {args.repeat} rounds")
        print("| format | bare encode | build | build / encode |")
        print("|---|---|---|---|")
        for name in args.formats:
            build, bare = statistics.median(builds[name]), statistics.median(bares[name])
            print(f"| {name} | {bare:.2f} s | {build:.2f} s | {build / bare:.2f} |")


if __name__ == "__main__":
    main()
