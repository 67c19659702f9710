"""Build a routine and measure the result: build time, size, cue onset errors, gaps, loudness.

Usage: python scripts/measure_build.py routines/evening.yaml [--cold]

With --cold the clip cache starts empty (a temporary folder). The figures
come from decoding the written file with the bundled ffmpeg.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import itertools

from audio_tools import decode, onset_ms, peak_dbfs
from voiceroutine import api
from voiceroutine.audio.ffmpeg import ffmpeg_exe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("routine", type=Path)
    parser.add_argument("--cold", action="store_true", help="start with an empty clip cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache" if args.cold else None
        options = api.BuildOptions(out_dir=Path(folder) / "out", cache_dir=cache)
        started = time.perf_counter()
        result = api.build(args.routine, options)
        seconds = time.perf_counter() - started
        timeline = json.loads(result.timeline_file.read_text(encoding="utf-8"))
        samples = decode(result.audio)
        report(result, timeline, samples, seconds)


def report(result: api.BuildResult, timeline: dict, samples, seconds: float) -> None:
    cues = [cue for cue in timeline["cues"] if cue["kind"] == "speech"]
    errors = []
    previous_end = 0
    for cue in cues:
        found = onset_ms(samples, max(previous_end + 5, cue["start_ms"] - 100), cue["end_ms"], -55)
        errors.append(float("nan") if found is None else found - cue["start_ms"])
        previous_end = cue["end_ms"]
    gaps = [
        peak_dbfs(samples, a["end_ms"] + 20, b["start_ms"] - 20)
        for a, b in itertools.pairwise(cues)
        if b["start_ms"] - a["end_ms"] > 60
    ]
    loudness = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(result.audio), "-af",
         "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    integrated = loudness.rsplit("I:", 1)[1].split("LUFS")[0].strip()
    true_peak = loudness.rsplit("Peak:", 1)[1].split("dBFS")[0].strip()
    decoded_ms = len(samples) * 1000 / 44_100
    print(f"routine          {timeline['title']}")
    print(f"build time       {seconds:.2f} s ({result.synthesized} lines synthesized, "
          f"{result.reused} from cache)")  # fmt: skip
    print(f"length           {timeline['duration_ms'] / 60_000:.2f} min, "
          f"decoded {decoded_ms - timeline['duration_ms']:+.1f} ms off")  # fmt: skip
    print(f"file size        {result.audio.stat().st_size / 1e6:.2f} MB")
    print(f"cue onsets       {len(errors)} cues, error {min(errors):+.2f} to {max(errors):+.2f} ms")
    print(f"between cues     loudest {max(gaps):.1f} dBFS")
    print(f"loudness         {integrated} LUFS integrated, true peak {true_peak} dBTP")


if __name__ == "__main__":
    main()
