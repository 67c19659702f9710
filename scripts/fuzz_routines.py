"""Run the routine fuzzers of tests/test_fuzz.py for much longer, and print how many cases ran.

    python scripts/fuzz_routines.py                 # the "long" profile: 20,000 cases each
    python scripts/fuzz_routines.py --examples 500 --seed 7 --only mutated
    timeout -s INT 30m python scripts/fuzz_routines.py   # stop after 30 minutes, with counts

Each property is the one the test suite checks with the "ci" profile: any
routine text is either loaded, compiled and scheduled into a timeline that
tiles its duration, or refused with one VoiceroutineError at a line and
column of the file; a case that runs longer than fuzzing.CASE_SECONDS fails.
Memory is capped (--memory-gb) so that a runaway case fails instead of
taking the machine down. Exits 1 when a property failed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from fuzzing import (
    arbitrary_yaml,
    check_text,
    mutated_example,
    register_profiles,
    valid_routine,
)


def _valid(text: str) -> None:
    assert check_text(text) is not None, text


PROPERTIES: dict[str, tuple[st.SearchStrategy[str], Callable[[str], object]]] = {
    "arbitrary": (arbitrary_yaml, check_text),
    "mutated": (mutated_example(), check_text),
    "valid": (valid_routine(), _valid),
}


def run(name: str, examples: int, chosen_seed: int | None) -> tuple[int, bool]:
    """Run one property for `examples` cases; return how many ran and whether all passed."""
    strategy, check = PROPERTIES[name]
    ran = [0]

    def case(text: str) -> None:
        ran[0] += 1
        check(text)

    test = settings(settings.get_profile("long"), max_examples=examples)(given(strategy)(case))
    if chosen_seed is not None:
        test = seed(chosen_seed)(test)
    try:
        test()
    except KeyboardInterrupt:  # Ctrl-C (or `timeout -s INT`): report what ran so far
        print(f"{name}: interrupted", flush=True)
    except Exception:
        traceback.print_exc()
        return ran[0], False
    return ran[0], True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=None, help="cases per property")
    parser.add_argument("--seed", type=int, default=None, help="a fixed seed (default: random)")
    parser.add_argument("--only", choices=sorted(PROPERTIES), action="append")
    parser.add_argument("--memory-gb", type=float, default=4.0)
    args = parser.parse_args()

    limit = int(args.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    register_profiles()
    examples = args.examples or settings.get_profile("long").max_examples
    total = 0
    failed = []
    for name in args.only or sorted(PROPERTIES):
        started = time.monotonic()
        ran, passed = run(name, examples, args.seed)
        total += ran
        if not passed:
            failed.append(name)
        elapsed = time.monotonic() - started
        verdict = "passed" if passed else "FAILED"
        print(f"{name}: {ran} cases in {elapsed:.0f} s, {verdict}", flush=True)
    print(f"total: {total} cases; {len(failed)} properties failed {failed or ''}".rstrip())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
