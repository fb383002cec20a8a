"""Image captioning on the generated shapes (the older decoders in models/artefacts/captioning): quality, size, training time and speed of the shipped decoders.

    python benchmarks/captioning.py --shapes   (or python benchmarks/captioning_shapes.py)

bleu4_<decoder>: corpus BLEU-4 (nltk) of greedy captions for every picture of the shipped test split
against its five references, decoded here and now from the shipped (half-precision) weights;
bleu4_blind is the image-blind GRU baseline. params_<decoder>: trainable parameters.
train_s_total: the four decoders' recorded training seconds added up (from the manifest; two trainings ran side
by side, one thread each, on the 2-core CPU; the per-epoch validation decoding is not counted).
caption_ms: one greedy caption of one picture (batch of one, one thread), median of 9, for the *slowest*
decoder (caption_ms_<decoder> for each). compare_slide_s: the comparison slide (all four decoders, a new picture) drawn in a warm
Streamlit script run (AppTest), and compare_slide_cold_s: its first draw in a fresh process (imports
and model loading included).
"""
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from models.device import set_threads
from models import artefacts  # noqa: E402
from models.captioning import decoders, infer, shipped  # noqa: E402

APP = f"""
import sys; sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
from demos import caption_compare
caption_compare.render(key_prefix="b", image=st.session_state.get("bench_img", 3))
"""


def slide_times() -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(APP, default_timeout=120)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    assert not at.exception, at.exception
    times = []
    for i in (11, 12, 13):
        at.slider(key="b_img").set_value(i)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    return sorted(times)[1], cold


def main():
    set_threads()
    ts = shipped.load_test_set()
    refs = [ts.refs(i) for i in range(len(ts))]
    out, slowest = {}, 0.0
    for name in shipped.ALL:
        model, vocab, ent = shipped.load_decoder(name, device="cpu")
        ev = infer.evaluate(model, vocab, ts.pooled, ts.regions, refs)
        key = "blind" if name == "blind" else name
        out[f"bleu4_{key}"] = round(ev["bleu4"], 4)
        out[f"params_{key}"] = decoders.n_params(model)
        if name != "blind":
            ms = infer.time_one_caption(model, ts.pooled[5], ts.regions[5], repeats=9)
            out[f"caption_ms_{key}"] = round(ms, 1)
            slowest = max(slowest, ms)
    arts = artefacts.by_name("captioning")
    out["train_s_total"] = round(sum(arts[n]["train_seconds"] for n in decoders.DECODERS), 1)
    out["caption_ms"] = round(slowest, 1)
    warm, cold = slide_times()
    out["compare_slide_s"] = round(warm, 2)
    out["compare_slide_cold_s"] = round(cold, 2)
    out["test_pictures"] = len(ts)
    for k, v in out.items():
        print(f"{k} {v}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
