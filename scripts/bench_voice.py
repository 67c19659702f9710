"""Benchmark a build in the natural voice against Piper alone, side by side, in one run.

Usage: python scripts/bench_voice.py [--routine routines/evening.yaml] [--repeat 3]

Measured in this one run (medians of --repeat rounds), each build in its own
process as a user runs it, with no engine named, so Piper speaks:
  the floor: Piper alone speaking the routine's distinct lines on every core,
    each worker process loading the voice once (process start and load
    included), plus ffmpeg alone encoding the built session's PCM;
  cold build (empty clip cache) / that floor; the voice's repeatable rewrite,
    made once per cache folder (piper_seeded.py), is made before it and timed
    on its own;
  a build from the warm cache (--force) and an up-to-date check, and whether
    either imported onnxruntime;
  peak memory, sampled every 20 ms, of the cold build (the build, its speaking
    workers and ffmpeg) and of the floor's Piper workers: every process summed
    by PSS (a page shared by forked processes counts once), and the largest
    process by RSS;
  Piper's real-time factor on one core: synthesis time / length of the audio.
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
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import bare_encode_seconds

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_S = 0.02

REWRITE = (
    "from voiceroutine import api\n"
    "from voiceroutine.tts.piper_engine import PiperEngine\n"
    "import sys\n"
    "from pathlib import Path\n"
    "PiperEngine().prepare(api.compile_file(Path(sys.argv[1])).voice)\n"
)
PROBE = (
    "import json, sys\n"
    "from voiceroutine.launch import main\n"
    "sys.argv = ['voiceroutine', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'onnxruntime')\n"
    "    print(json.dumps({'onnxruntime': bool(loaded)}), file=sys.stderr)\n"
)


@dataclass
class Memory:
    """The peaks seen: every process summed by PSS, and the largest one by RSS (MB)."""

    summed_pss: float = 0.0
    largest_rss: float = 0.0

    def sample(self, pids: list[int]) -> None:
        self.summed_pss = max(
            self.summed_pss, sum(status_mb(pid, "smaps_rollup", "Pss:") for pid in pids)
        )
        self.largest_rss = max(
            [self.largest_rss, *(status_mb(pid, "status", "VmRSS:") for pid in pids)]
        )


def run_build(arguments: list[str], env: dict[str, str]) -> tuple[float, Memory, bool]:
    """Wall time, peak memory of the whole process tree, and whether onnxruntime loaded."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", PROBE, *arguments],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    memory = Memory()
    sampler = threading.Thread(
        target=_sample_while, args=(lambda: process.poll() is None, process.pid, memory)
    )
    sampler.start()
    _out, err = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"build failed: {err}")
    loaded = json.loads(err.strip().splitlines()[-1])["onnxruntime"]
    return seconds, memory, loaded


def _sample_while(
    running: Callable[[], bool], root: int, memory: Memory, skip_root: bool = False
) -> None:
    while running():
        memory.sample(process_tree(root)[1:] if skip_root else process_tree(root))
        time.sleep(SAMPLE_S)


def process_tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:  # it ended meanwhile
            continue
        for task in tasks:
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def status_mb(pid: int, file: str, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _load_voice() -> None:
    """A worker of the floor: the bundled voice loaded once, onnxruntime on one thread."""
    global _VOICE, _CONFIG
    import onnxruntime
    from piper import PiperVoice, SynthesisConfig
    from piper.config import PiperConfig

    from voiceroutine.tts.piper_voices import bundled_voice, read_config

    file = bundled_voice()
    assert file is not None, "the bundled Piper voice is not installed"
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(file.model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    _VOICE = PiperVoice(session=session, config=PiperConfig.from_dict(read_config(file)))
    _CONFIG = SynthesisConfig(length_scale=_LENGTH_SCALE, normalize_audio=False)


_VOICE = _CONFIG = None
_LENGTH_SCALE = 1.0


def _speak(text: str) -> tuple[float, float]:
    """Seconds spent speaking `text`, and seconds of audio it made."""
    started = time.perf_counter()
    chunks = list(_VOICE.synthesize(text, _CONFIG))  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    samples = sum(len(chunk.audio_float_array) for chunk in chunks)
    return seconds, samples / chunks[0].sample_rate


def floor_speaking_seconds(texts: list[str], cores: int) -> tuple[float, float, Memory]:
    """Wall time of Piper alone speaking `texts` on `cores` processes (longest first), the
    real-time factor (synthesis seconds per second of audio) and the workers' memory."""
    ordered = sorted(texts, key=len, reverse=True)
    memory = Memory()
    done = threading.Event()
    sampler = threading.Thread(
        target=_sample_while, args=(lambda: not done.is_set(), os.getpid(), memory, True)
    )
    started = time.perf_counter()
    sampler.start()
    with ProcessPoolExecutor(cores, initializer=_load_voice) as pool:
        spoken = list(pool.map(_speak, ordered))
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, sum(s for s, _ in spoken) / sum(a for _, a in spoken), memory


def main() -> None:
    global _LENGTH_SCALE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", type=Path, default=ROOT / "routines" / "evening.yaml")
    parser.add_argument("--repeat", type=int, default=1, help="rounds whose medians are shown")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {platform.machine()}, {cores} cores, "
          f"Python {platform.python_version()}, {platform.platform()}")  # fmt: skip

    from voiceroutine import api
    from voiceroutine.tts.piper_engine import PiperEngine

    env = {key: value for key, value in os.environ.items() if key != "VOICEROUTINE_ENGINE"}
    os.environ.pop("VOICEROUTINE_ENGINE", None)
    compiled = api.compile_file(args.routine)
    if compiled.engine.name != "piper":
        raise SystemExit(f"{args.routine.name} is not spoken by Piper: {compiled.engine.name}")
    # The same speed as the build's (the routine's rate on Piper's length scale).
    _LENGTH_SCALE = float(PiperEngine().identity(compiled.voice)["length_scale"])
    texts = list(dict.fromkeys(compiled.plan.texts()))
    keys = ("floor speak", "bare encode", "rewrite", "cold", "warm", "up to date", "rtf",
            "cold pss", "cold rss", "floor pss", "floor rss")  # fmt: skip
    times: dict[str, list[float]] = {key: [] for key in keys}
    loads: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(prefix="voiceroutine-bench-") as temporary:
        root = Path(temporary)
        routine = root / args.routine.name
        shutil.copy(args.routine, routine)
        for number in range(args.repeat):
            round_env = {**env, "VOICEROUTINE_CACHE_DIR": str(root / f"cache{number}")}
            out = root / f"out{number}"
            speak, rtf, floor_memory = floor_speaking_seconds(texts, cores)
            times["floor speak"].append(speak)
            times["rtf"].append(rtf)
            times["floor pss"].append(floor_memory.summed_pss)
            times["floor rss"].append(floor_memory.largest_rss)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", REWRITE, str(routine)], env=round_env, check=True)
            times["rewrite"].append(time.perf_counter() - started)
            build = ["build", str(routine), "-o", str(out)]
            cold, memory, loads["cold"] = run_build(build, round_env)
            times["cold"].append(cold)
            times["cold pss"].append(memory.summed_pss)
            times["cold rss"].append(memory.largest_rss)
            audio = out / f"{routine.stem}.mp3"
            times["bare encode"].append(bare_encode_seconds(audio, root))
            warm, _memory, loads["warm"] = run_build([*build, "--force"], round_env)
            times["warm"].append(warm)
            current, _memory, loads["up to date"] = run_build(build, round_env)
            times["up to date"].append(current)
        minutes = json.loads(audio.with_suffix(".json").read_text())["duration_ms"] / 60_000
    median = {key: statistics.median(values) for key, values in times.items()}
    floor = median["floor speak"] + median["bare encode"]
    print(f"\n{args.routine.name}: {minutes:.1f} min, {len(texts)} distinct lines; "
          f"median of {args.repeat} round(s)")  # fmt: skip
    print(f"  Piper alone, {cores} cores     {median['floor speak']:7.2f} s"
          f"   real-time factor {median['rtf']:.3f} on one core")  # fmt: skip
    print(f"  bare encode               {median['bare encode']:7.2f} s")
    print(f"  floor (the two)           {floor:7.2f} s")
    print(f"  rewriting the voice       {median['rewrite']:7.2f} s   once per cache folder")
    print(f"  cold build                {median['cold']:7.2f} s   {median['cold'] / floor:5.2f} x "
          f"the floor")  # fmt: skip
    for key in ("warm", "up to date"):
        label = "warm cache (--force)" if key == "warm" else "up to date"
        print(f"  {label:<24}  {median[key]:7.2f} s   {median[key] / median['cold']:5.3f} x cold"
              f"   onnxruntime loaded: {'yes' if loads[key] else 'no'}")  # fmt: skip
    print("peak memory              every process (PSS)   largest process (RSS)")
    for key, label in (("floor", f"Piper alone, {cores} cores"), ("cold", "cold build")):
        pss, rss = median[f"{key} pss"], median[f"{key} rss"]
        print(f"  {label:<24}  {pss:7.0f} MB            {rss:7.0f} MB")


if __name__ == "__main__":
    main()
