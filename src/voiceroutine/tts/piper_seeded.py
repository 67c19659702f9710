"""Piper voices made repeatable: each sentence's random draws come from a seed of its own.

A Piper voice draws noise inside its model (two RandomNormalLike nodes: the
phoneme lengths and the sound), from one generator that runs on across
sentences, so the same line sounds different with every run and depends on
what the process said before it. Here each such node is replaced by a slice
of a graph input, and that input is drawn from a seed made of the sentence's
phoneme ids and settings: a line says the same on every machine and in every
order, and the cache, the cluster and the tests see one sound for it.

The rewritten model is made once per voice, with the onnx package, and kept
in the clip cache's folder; builds load it as they would the voice itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from voiceroutine.errors import VoiceroutineError

NOISE_INPUT = "voiceroutine_noise_"
"""The names of the inputs that replace the model's random nodes, numbered from 0."""
NOISE_PER_PHONEME_ID = 768
"""Noise values drawn per phoneme id of a sentence, for each random node.

The larger node needs 192 channels for every frame of sound; the bundled
voice makes about 2.5 frames per phoneme id at length scale 1 (480 values),
so this covers a pace 1.6 times slower, and a longer need repeats the draw
(Tile). Drawing costs time: 4 times as many values made Piper 3 to 8 %
slower on 40 lines of evening.yaml, this many about 1 %.
"""
SEEDED_FORMAT = 1
"""Bump when the rewrite changes: the rewritten models' file names carry it."""


def seeded_model_path(folder: Path, digest: str) -> Path:
    """Where the rewritten model of a voice with this digest is kept."""
    return folder / "voices" / f"{digest}-seeded-{SEEDED_FORMAT}.onnx"


def ensure_seeded_model(model: Path, target: Path) -> Path:
    """The rewritten model at `target`, made from `model` when it is not there yet."""
    if target.is_file():
        return target
    rewritten = _rewritten(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".onnx.part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(rewritten)
        os.replace(temporary, target)  # whole or absent, even with workers racing to make it
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _rewritten(model: Path) -> bytes:
    """The model with each RandomNormalLike node fed from a noise input of its own."""
    import onnx
    from onnx import TensorProto, helper

    try:
        proto = onnx.load(str(model))
    except Exception as error:  # onnx raises protobuf's DecodeError and others
        raise VoiceroutineError(f"{model}: not an ONNX model ({type(error).__name__})") from None
    graph = proto.graph
    nodes: list[Any] = []
    count = 0
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        noise = f"{NOISE_INPUT}{count}"
        count += 1
        graph.input.append(
            helper.make_tensor_value_info(noise, TensorProto.FLOAT, [f"{noise}_length"])
        )
        nodes.extend(_noise_shaped_like(node, noise, helper, TensorProto))
    del graph.node[:]
    graph.node.extend(nodes)
    return proto.SerializeToString()


def _noise_shaped_like(node: Any, noise: str, helper: Any, tensor: Any) -> list[Any]:
    """Nodes that give the random node's output: the noise input, repeated as far as needed,
    cut to the size of the node's input and shaped like it, then scaled and shifted."""
    attributes = {
        attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute
    }
    mean = float(attributes.get("mean", 0.0))
    scale = float(attributes.get("scale", 1.0))

    def name(part: str) -> str:
        return f"{noise}/{part}"

    def constant(part: str, value: Any, kind: Any) -> Any:
        return helper.make_node(
            "Constant", [], [name(part)], value=helper.make_tensor(name(part), kind, [1], [value])
        )

    standard = name("standard") if (mean, scale) != (0.0, 1.0) else node.output[0]
    made = [
        helper.make_node("Shape", [node.input[0]], [name("shape")]),
        helper.make_node("ReduceProd", [name("shape")], [name("count")], keepdims=1),
        helper.make_node("Shape", [noise], [name("length")]),
        constant("zero", 0, tensor.INT64),
        constant("one", 1, tensor.INT64),
        helper.make_node("Add", [name("count"), name("length")], [name("sum")]),
        helper.make_node("Sub", [name("sum"), name("one")], [name("ceiling")]),
        helper.make_node("Div", [name("ceiling"), name("length")], [name("repeats")]),
        helper.make_node("Tile", [noise, name("repeats")], [name("tiled")]),
        helper.make_node("Slice", [name("tiled"), name("zero"), name("count")], [name("flat")]),
        helper.make_node("Reshape", [name("flat"), name("shape")], [standard]),
    ]
    if standard != node.output[0]:
        made += [
            constant("scale", scale, tensor.FLOAT),
            constant("mean", mean, tensor.FLOAT),
            helper.make_node("Mul", [standard, name("scale")], [name("scaled")]),
            helper.make_node("Add", [name("scaled"), name("mean")], [node.output[0]]),
        ]
    return made


class SeededSession:
    """An onnxruntime session of a rewritten model that draws each run's noise from its inputs."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._noise = sorted(
            (given.name for given in session.get_inputs() if given.name.startswith(NOISE_INPUT)),
            key=lambda found: int(found.removeprefix(NOISE_INPUT)),
        )

    def run(self, outputs: list[str] | None, feeds: dict[str, Any]) -> list[Any]:
        import numpy as np

        digest = hashlib.sha256()
        for given in sorted(feeds):
            digest.update(given.encode())
            digest.update(np.ascontiguousarray(feeds[given]).tobytes())
        generator = np.random.default_rng(int.from_bytes(digest.digest()[:16], "little"))
        length = NOISE_PER_PHONEME_ID * max(1, int(feeds["input"].shape[-1]))
        drawn = {
            noise: generator.standard_normal(length, dtype=np.float32) for noise in self._noise
        }
        return self._session.run(outputs, {**feeds, **drawn})
