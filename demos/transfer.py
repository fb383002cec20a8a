"""Transfer learning ("Commerce"): frozen Inception-v3 features + a linear classifier, in the slide.

Slides "Re-Using Pre-Built Networks" and "'Commerce' Cars".
Options: ``classes`` (number of your own classes to start with, default 2).

Fair share: at most ``MAX_PHOTOS`` photos per class and ``MAX_TEST_PHOTOS`` test photos are read (each
costs an Inception-v3 pass); recomputing the 200 built-in crops' features runs in a training slot.
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import declare, integer

from demos.kit.inception import inception
from demos.kit.fair_share import WAITING_NOTE, training_slot

MAX_PHOTOS = 30  # per class
MAX_TEST_PHOTOS = 24
RECOMPUTE_WAIT_S = 30.0

OKABE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]


@st.cache_data(show_spinner=False)
def _cached_lfw():
    from models.vision.transfer import load_cached_features

    return load_cached_features()


@st.cache_data(show_spinner="Inception-v3 features of an uploaded photo…", max_entries=256)
def _image_features(data: bytes, name: str):
    """(2048-d features, thumbnail, error, notices) for one uploaded file."""
    from demos.kit.images import decode_bytes
    from models.data.images import fit_within
    from models.vision.inception import features

    img, err = decode_bytes(data, name)
    if err:
        return None, None, err, []
    notices = [f"'{name}': {note}" for note in img.notices]  # e.g. a huge photo was downscaled
    return features(inception(), [img.array])[0], fit_within(img.array, 160), None, notices


def _read_photos(box, files, limit: int, what: str):
    """Yield (file, features, thumbnail, error) for at most ``limit`` uploads; notices and errors shown in ``box``."""
    files = files or []
    if len(files) > limit:
        box.info(f"Only the first {limit} of {len(files)} {what}.")
        files = files[:limit]
    for f in files:
        v, thumb, err, notices = _image_features(f.getvalue(), f.name)
        for note in notices:
            box.info(note, icon="ℹ️")
        if err:
            box.warning(err)
        yield f, v, thumb, err


OPTIONS = declare(classes=integer(2, 2, 6))


def render(key_prefix: str = "transfer", stage=None, **options: str) -> None:
    """Accuracy read-out and the hardest crops (or your own test photos' predictions, once there are some) in
    ``stage.visual``; "Recompute CNN features live" in ``stage.controls``; the notes and your own classes'
    names and photos in ``stage.more``."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    kp = key_prefix
    go = stage.controls.button("Recompute CNN features live", key=f"{kp}_action",
                               help="Run Inception-v3 on all 200 crops now (about 5–10 s here) instead of the "
                                    "cached result.")
    with stage.more:
        st.caption("Features: Google's **Inception-v3** (2015 ImageNet weights), frozen; its 2048-number summary of "
                   "each photo feeds a linear classifier (scikit-learn). The 2016 notebook used GoogLeNet + "
                   "LinearSVC.")
        builtin_notes = st.container()
        st.markdown("**Your own classes** (their test photos' predictions replace the built-in result)")
        shown, names = _own(kp, OPTIONS.parse(options).classes)
    with stage.visual:
        if shown:
            _own_results(kp, shown, names, stage.present)
        else:
            _builtin(kp, go, builtin_notes, stage.present)


def _builtin(kp, go, notes, present):
    import numpy as np

    from models.vision.transfer import LFW_CLASSES, LFW_SIZE, lfw, lfw_rgb

    imgs, y = lfw()
    live = st.session_state.get(f"{kp}_live_feats")
    notes.markdown(f"scikit-image's LFW subset: **{int(y.sum())} faces and {int((1 - y).sum())} non-faces**, "
                   f"25×25 grey crops (upsampled to {LFW_SIZE} px for the CNN). Same linear classifier "
                   "(standardise + logistic regression), 5-fold cross-validation, on two inputs: CNN features and "
                   "raw pixels.")
    if go:
        bar = st.progress(0.0, "Inception-v3 on 200 crops…")
        from models.vision.inception import features

        with training_slot(wait=RECOMPUTE_WAIT_S) as cpu:
            if cpu:
                live = features(inception(), lfw_rgb(), LFW_SIZE,
                                progress=lambda d, n: bar.progress(d / n, f"{d}/{n} crops"))
                st.session_state[f"{kp}_live_feats"] = live
        bar.empty()
        if not cpu:
            st.caption(WAITING_NOTE + " Press the button again in a moment.")
    from models.vision.transfer import raw_pixels

    feats = live if live is not None else _cached_lfw()
    cnn = _cv_cached(feats)
    raw = _cv_cached(raw_pixels())
    errors = f"{round((1 - cnn['mean']) * 200)} vs {round((1 - raw['mean']) * 200)}"
    if present:
        st.markdown(f"faces vs non-faces, 5-fold CV: CNN features **{cnn['mean']:.1%}** · raw pixels "
                    f"**{raw['mean']:.1%}** · errors **{errors}** of 200")
    else:
        m = st.columns(3)
        m[0].metric("CNN features (2048-d)", f"{cnn['mean']:.1%}", help=f"folds: {np.round(cnn['folds'], 3).tolist()}")
        m[1].metric("Raw pixels (625-d)", f"{raw['mean']:.1%}", help=f"folds: {np.round(raw['folds'], 3).tolist()}")
        m[2].metric("Errors", errors,
                    help="Misclassified crops out of 200 (held-out folds): CNN features vs raw pixels.")
    notes.caption(("Features computed live just now." if live is not None else
                   "Features from the cached file (made by `python -m models.vision.transfer`); press the button to "
                   "recompute them here.") + " Cross-validation runs live on every visit.")
    # Held-out predictions: the crops the CNN features found hardest (closest to the boundary or wrong)
    dec = cnn["decision"]
    order = np.argsort(np.where((dec > 0) == (y == 1), np.abs(dec), -np.abs(dec)))[:12]
    per_row = 6 if present else 12
    for start in range(0, len(order), per_row):
        cols = st.columns(per_row)
        for col, i in zip(cols, order[start:start + per_row]):
            pred = int(dec[i] > 0)
            col.image(np.kron(imgs[i], np.ones((3, 3), np.uint8)), width="stretch")
            col.caption(f"{'' if pred == y[i] else 'WRONG: '}{LFW_CLASSES[pred]} {dec[i]:+.2f}")
    st.caption("The 12 hardest held-out crops for the CNN-feature classifier: prediction and signed decision value "
               "(positive = face); WRONG marks a mistake.")


@st.cache_data(show_spinner=False)
def _cv_cached(x):
    from models.vision.transfer import cross_validate, lfw

    return cross_validate(x, lfw()[1])


def _own(kp, classes):
    import numpy as np

    from models.vision.transfer import fit, predict_with_distance

    n0 = classes
    st.markdown("Name two or more classes, upload a few photos of each (5–10 is plenty), then upload test photos. "
                "Only a linear classifier is trained: seconds, on a CPU.")
    n = st.number_input("Number of classes", 2, 6, n0, key=f"{kp}_n", help="Two or more.")
    defaults = ["classic car", "modern car", "class 3", "class 4", "class 5", "class 6"]
    names, feats, labels = [], [], []
    cols = st.columns(int(n))
    for c, col in enumerate(cols):
        name = col.text_input(f"Class {c + 1} name", defaults[c], key=f"{kp}_name{c}", max_chars=40,
                              help="Any name; it labels the predictions.").strip() or f"class {c + 1}"
        names.append(name)
        files = col.file_uploader(f"Photos of '{name}'", accept_multiple_files=True, key=f"{kp}_files{c}",
                                  help="JPEG/PNG/WebP…; bad files are skipped with a message.")
        for f, v, _, err in _read_photos(col, files, MAX_PHOTOS, "photos are used"):
            if not err:
                feats.append(v)
                labels.append(c)
        col.caption(f"{sum(1 for lab in labels if lab == c)} usable photo(s)")
    if len(set(names)) < len(names):
        st.warning("Two classes share a name: give each class its own name.")
        return [], names
    counts = np.bincount(labels, minlength=int(n)) if labels else np.zeros(int(n), int)
    if (counts == 0).any():
        st.info("Upload at least one photo for every class to train the classifier.")
        return [], names
    clf = fit(np.stack(feats), np.array(labels))
    train_acc = float((clf.predict(np.stack(feats)) == np.array(labels)).mean())
    st.success(f"Trained a LinearSVC on {len(labels)} photos ({', '.join(f'{k}: {c}' for k, c in zip(names, counts))}); "
               f"training accuracy {train_acc:.0%}.")
    tests = st.file_uploader("Test photos", accept_multiple_files=True, key=f"{kp}_test",
                             help="Photos the classifier has not seen.")
    shown = []
    for f, v, thumb, err in _read_photos(st, tests, MAX_TEST_PHOTOS, "test photos are classified"):
        if err:
            continue
        pred, dist = predict_with_distance(clf, v[None])
        shown.append((thumb, f.name, names[int(pred[0])], float(dist[0])))
    return shown, names


def _own_results(kp, shown, names, present):
    """Your test photos with their predicted class and distance from the boundary."""
    st.caption((f"Distance from the boundary (the SVM's decision value; ±1 is the margin): positive means "
                f"'{names[1]}', negative '{names[0]}'." if len(names) == 2 else
                "Distance of each photo from its winning class's one-vs-rest boundary (±1 is the margin)."))
    per_row = 6 if len(shown) > 8 else 4
    for start in range(0, len(shown), per_row):
        grid = st.columns(per_row)
        for col, (thumb, fname, label, dist) in zip(grid, shown[start:start + per_row]):
            with col:
                st.image(thumb, width="stretch")
                st.markdown(f"**{label}** {dist:+.2f}" if present else
                            f"**{label}**  \nDistance from boundary = {dist:+.2f}  \n`{fname}`")
    st.session_state[f"{kp}_predictions"] = [(fname, label, dist) for _, fname, label, dist in shown]
