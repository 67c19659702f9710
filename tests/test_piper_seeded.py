"""The rewrite that makes Piper repeatable, on a model small enough to check by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper

from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.piper_seeded import (
    NOISE_INPUT,
    SeededSession,
    ensure_seeded_model,
    seeded_model_path,
)


def random_model(path: Path, mean: float, scale: float) -> Path:
    """input (any shape) -> RandomNormalLike(mean, scale) -> output, plus the input doubled."""
    graph = helper.make_graph(
        [
            helper.make_node("RandomNormalLike", ["input"], ["output"], mean=mean, scale=scale),
            helper.make_node("Add", ["input", "input"], ["doubled"]),
        ],
        "random",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["a", "b"])],
        [
            helper.make_tensor_value_info("output", TensorProto.FLOAT, ["a", "b"]),
            helper.make_tensor_value_info("doubled", TensorProto.FLOAT, ["a", "b"]),
        ],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]), path)
    return path


def session(path: Path) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_the_random_node_gives_the_noise_input_scaled_shifted_and_repeated(tmp_path: Path) -> None:
    model = random_model(tmp_path / "random.onnx", mean=2.0, scale=3.0)
    seeded = ensure_seeded_model(model, seeded_model_path(tmp_path / "cache", "abc"))
    rewritten = session(seeded)
    assert [given.name for given in rewritten.get_inputs()] == ["input", f"{NOISE_INPUT}0"]

    values = np.arange(1, 11, dtype=np.float32)  # 10 values for 3 x 7 = 21 places
    given = np.ones((3, 7), dtype=np.float32)
    output, doubled = rewritten.run(None, {"input": given, f"{NOISE_INPUT}0": values})
    expected = np.tile(values, 3)[:21].reshape(3, 7) * 3.0 + 2.0
    assert np.allclose(output, expected)
    assert np.array_equal(doubled, given * 2), "the rest of the graph is untouched"


def test_the_seeded_session_draws_from_its_inputs_alone(tmp_path: Path) -> None:
    model = random_model(tmp_path / "random.onnx", mean=0.0, scale=1.0)
    seeded = SeededSession(session(ensure_seeded_model(model, tmp_path / "seeded.onnx")))
    one = np.ones((1, 50), dtype=np.float32)
    first = seeded.run(None, {"input": one})[0]
    assert np.array_equal(seeded.run(None, {"input": one})[0], first)
    assert not np.array_equal(seeded.run(None, {"input": one * 2})[0], first)
    assert abs(float(first.mean())) < 0.5 and 0.6 < float(first.std()) < 1.4


def test_the_rewrite_is_kept_and_made_once(tmp_path: Path) -> None:
    model = random_model(tmp_path / "random.onnx", mean=0.0, scale=1.0)
    target = seeded_model_path(tmp_path / "cache", "abc")
    ensure_seeded_model(model, target)
    made = target.stat().st_mtime_ns
    model.write_bytes(b"changed")  # the digest in the name stands for the model
    assert ensure_seeded_model(model, target) == target
    assert target.stat().st_mtime_ns == made


def test_a_file_that_is_not_a_model_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x00not a model at all" * 10)
    with pytest.raises(VoiceroutineError, match=r"broken\.onnx: not an ONNX model"):
        ensure_seeded_model(broken, tmp_path / "seeded.onnx")
    assert not (tmp_path / "seeded.onnx").exists()
