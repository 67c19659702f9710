"""The package's one did-you-mean helper."""

from voiceroutine.suggest import did_you_mean


def test_the_closest_name_is_suggested() -> None:
    assert did_you_mean("holdd", ["reps", "hold", "sides"]) == " (did you mean 'hold'?)"


def test_several_close_names_are_listed_closest_first() -> None:
    hint = did_you_mean("en-u", ["de", "en-us", "en-gb", "en"], most=3)
    assert hint.startswith(" (did you mean 'en-us', ")
    assert hint.endswith("?)") and " or " in hint


def test_nothing_close_suggests_nothing() -> None:
    assert did_you_mean("zzz", ["reps", "hold"]) == ""
