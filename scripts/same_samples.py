"""Show that a change of code left the sound alone: build with two versions, compare samples.

Usage: python scripts/same_samples.py [--before REF] [ROUTINE ...]

The routines (default: evening.yaml, and breathing-reset.yaml with its
brown-noise bed) are built once to fill a clip cache, then by this checkout
and by the package as it was at the git revision REF, both from that cache,
so that both mix the same clips as read back from it (a build that has just
spoken its lines mixes them before they are stored). Each pair of files is decoded
with the bundled ffmpeg and compared sample by sample; the script exits 1
if any pair differs. Tags (build date, build id) are not compared.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from voiceroutine.audio.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROUTINES = [ROOT / "routines" / "evening.yaml", ROOT / "routines" / "breathing-reset.yaml"]
BEFORE = "1d83b15"
"""The last revision before the code was reorganised into one rule per place."""


def unpack_source(ref: str, folder: Path) -> Path:
    """The package's source at `ref`, unpacked into `folder`; the path to put on PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src/voiceroutine"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def build(routine: Path, out: Path, env: dict[str, str]) -> Path:
    command = [sys.executable, "-m", "voiceroutine", "build", str(routine), "-o", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    print("   ", done.stdout.strip())
    return out / f"{routine.stem}.mp3"


def samples(path: Path) -> np.ndarray:
    decoded = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-acodec", "pcm_s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(decoded, dtype="<i2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=BEFORE, help="the git revision to compare with")
    parser.add_argument("routines", nargs="*", type=Path, default=DEFAULT_ROUTINES)
    args = parser.parse_args()
    differing = 0
    with tempfile.TemporaryDirectory(prefix="same-samples-") as root:
        folder = Path(root)
        env = {
            **os.environ,
            "VOICEROUTINE_CACHE_DIR": str(folder / "cache"),
            "VOICEROUTINE_CONFIG": str(folder / "no-config.yaml"),
        }
        old_source = unpack_source(args.before, folder / "before")
        old_env = {
            **env,
            "PYTHONPATH": os.pathsep.join([str(old_source), env.get("PYTHONPATH", "")]),
        }
        for routine in args.routines:
            print(f"{routine.name}:")
            build(routine.resolve(), folder / "warm", env)  # fills the cache: then both read it
            now = samples(build(routine.resolve(), folder / "now", env))
            then = samples(build(routine.resolve(), folder / "then", old_env))
            same = len(now) == len(then) and np.array_equal(now, then)
            if not same:
                differing += 1
                shorter = min(len(now), len(then))
                changed = int(np.count_nonzero(now[:shorter] != then[:shorter]))
                print(f"    differ: {len(now)} against {len(then)} samples, {changed} changed")
            else:
                print(f"    the same {len(now)} samples as at {args.before}")
    raise SystemExit(1 if differing else 0)


if __name__ == "__main__":
    main()
