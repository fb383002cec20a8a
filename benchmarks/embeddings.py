"""Word-analogy quality and speed of GloVe 6B 50d restricted to its 100k most frequent words.

    python benchmarks/embeddings.py

Prints one ``name value unit`` line per figure. The test set is the standard Google analogy set
(Mikolov et al. 2013, 19,544 questions), read from the copy inside gensim's wheel
(gensim/test/test_data/questions-words.txt; ``pip install --no-deps gensim==4.4.0``). Answers are
searched over the 100k vocabulary with the three question words excluded (3CosAdd); questions with
an out-of-vocabulary word are skipped and counted.
"""
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from models.data.glove import load_glove  # noqa: E402
from models.language.embeddings import (analogy, evaluate_analogies, google_analogy_path,  # noqa: E402
                                        read_google_analogies)


def main():
    t0 = time.perf_counter()
    emb = load_glove()
    print(f"glove_load_s {time.perf_counter() - t0:.2f} s")
    print(f"vocab_size {len(emb.words)} words")
    path = google_analogy_path()
    if path is None:
        print("analogy_test_set_missing 1 flag  # pip install --no-deps gensim==4.4.0", file=sys.stderr)
        questions = []
    else:
        questions = read_google_analogies(path)
        r = evaluate_analogies(emb, questions)
        print(f"analogy_questions {r['total']} questions")
        print(f"analogy_skipped {r['skipped']} questions")
        print(f"analogy_accuracy_overall {r['overall']:.4f} fraction")
        print(f"analogy_accuracy_semantic {r['semantic']:.4f} fraction")
        print(f"analogy_accuracy_syntactic {r['syntactic']:.4f} fraction")
    # latency of one interactive query (top-5 over 100k words), median of 200
    rng = np.random.default_rng(0)
    pool = [q for _, q in questions if all(w in emb for w in q)] or [("man", "woman", "king", "queen")]
    times = []
    for i in rng.integers(0, len(pool), 200):
        a, b, c, _ = pool[i]
        t = time.perf_counter()
        analogy(emb, a, b, c, k=5)
        times.append((time.perf_counter() - t) * 1000)
    print(f"analogy_query_ms {statistics.median(times):.2f} ms")


if __name__ == "__main__":
    main()
