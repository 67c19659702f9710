"""Property-based tests: no routine text crashes, hangs or misplaces its error; timelines tile.

The "ci" hypothesis profile (tests/conftest.py) fixes the seed and keeps these
quick; scripts/fuzz_routines.py runs the same properties for much longer.
"""

from __future__ import annotations

from hypothesis import given

from fuzzing import arbitrary_yaml, check_text, mutated_example, valid_routine


@given(arbitrary_yaml)
def test_arbitrary_yaml_is_loaded_or_refused_with_a_place(text: str) -> None:
    check_text(text)


@given(mutated_example())
def test_mutated_examples_are_loaded_or_refused_with_a_place(text: str) -> None:
    check_text(text)


@given(valid_routine())
def test_valid_routines_have_timelines_that_tile_their_duration(text: str) -> None:
    assert check_text(text) is not None, text
