"""Train the four caption decoders and the image-blind baseline on Flickr8k; select on dev; score on test.

Three steps, each a command (the features come first: ``python -m models.captioning.flickr8k``):

    python -m models.captioning.photo_train prepare
    python -m models.captioning.photo_train train --decoder gru --cpu-minutes 12
    python -m models.captioning.photo_ship                  # every trained decoder -> captioning_photos

``prepare`` tokenises the captions the coco-caption way (``cocoeval.tokens``), builds the talk's
vocabulary from the training split (stop words first, then every word seen in at least 5 different
training photos that is among GloVe's 100,000 most frequent words), fits the PCA that compresses the 16
region vectors of each photo from 2048 to 256 numbers on the training photos, and writes
``data/captioning_photos/prepared.npz`` (+ vocab.json, glove_rows.npy, pca.npz).

``train`` is teacher forcing: START + a reference caption in, the next word out at every position;
cross-entropy with label smoothing 0.1, Adam, every (photo, caption) pair of the 6,000 training photos
once per epoch (30,000), batches of 64 of similar length. It runs on a budget of *CPU time* (this
process's ``time.process_time``, which counts every thread): the learning rate warms up, then follows a
cosine to zero as the budget is spent. After each epoch (and at the end) the greedy captions of the
1,000 dev photos are scored (coco-caption BLEU-4); the best epoch's weights are kept. Finally the
decoding -- greedy, or beam search of width 3 or 5 with length normalisation 0.5 or 1.0 -- is chosen on dev.
The test split is not read.

``ship`` scores each kept decoder ONCE on the 1,000 test photos (and on coco-mini, out of domain) with its
dev-chosen decoding, and writes half-precision weights, the vocabulary, the PCA and the test / coco-mini
features into ``models/artefacts/captioning_photos/`` with manifest entries.
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np

from .flickr8k import CACHE, GRID, SIZE, load_set
from .vocab import EXTRA, PAD, START, STOP, UNK, Vocab, build_vocab, glove_rows

MAX_WORDS = 20  # training captions are cut to 20 words (+ START, STOP)
# never written in a caption: padding, START, the unknown-word and spare action tokens (a caption with
# "<unk>" in it says nothing; the decoders learnt it for rare words in the training captions)
BANNED = [PAD, START, UNK, EXTRA]
MIN_IMAGES = 5
REGION_DIM = 256
RUN = CACHE / "run"


def _tok(text):
    from .cocoeval import tokens

    return tokens(text)


def fit_pca(regions: np.ndarray, dim: int = REGION_DIM, max_rows: int = 40000, seed: int = 0):
    """(mean (2048,), components (2048, dim), kept variance share) of region vectors (rows sampled with
    ``seed``), from the eigenvectors of their covariance (same result as features.fit_pca's SVD, cheaper)."""
    rows = regions.reshape(-1, regions.shape[-1])
    if len(rows) > max_rows:
        rows = rows[np.sort(np.random.default_rng(seed).choice(len(rows), max_rows, replace=False))]
    rows = rows.astype(np.float64)
    mean = rows.mean(0)
    x = rows - mean
    val, vec = np.linalg.eigh(x.T @ x / len(x))
    val, vec = val[::-1], vec[:, ::-1]
    return mean.astype(np.float32), vec[:, :dim].astype(np.float32), float(val[:dim].sum() / val.sum())


# -- prepare --------------------------------------------------------------------------------------


def prepare(cache: pathlib.Path = CACHE, log=print) -> dict:
    from models.data.glove import load_glove

    from .features import project

    items, _ = load_set("flickr8k")
    z = np.load(cache / "flickr8k_features.npz")
    names = [str(n) for n in z["names"]]
    by_name = {it[0]: it for it in items}
    if names != [it[0] for it in items]:
        raise SystemExit("flickr8k_features.npz does not match captions.txt: run models.captioning.flickr8k again")
    splits = np.array([by_name[n][2] for n in names])
    train = splits == "train"
    per_image = [sorted({t for c in by_name[n][1] for t in _tok(c)}) for n in np.array(names)[train]]
    glove = load_glove()
    vocab = build_vocab(per_image, min_count=MIN_IMAGES, glove_words=glove.index)  # counts = photos per word
    vocab.to_json(cache / "vocab.json")
    np.save(cache / "glove_rows.npy", glove_rows(vocab, glove))
    regions = z["regions"]
    mean, comps, kept = fit_pca(regions[train], REGION_DIM)
    comps16 = comps.astype(np.float16)  # shipped with float16 components: use exactly those everywhere
    np.savez(cache / "pca.npz", mean=mean, components=comps16, kept=kept)
    proj = project(regions, mean, comps16.astype(np.float32)).astype(np.float16)
    c = np.load(cache / "coco-mini_features.npz")
    coco_proj = project(c["regions"], mean, comps16.astype(np.float32)).astype(np.float16)
    np.savez(cache / "prepared.npz", pooled=z["pooled"], regions=proj, names=np.array(names), splits=splits,
             coco_pooled=c["pooled"], coco_regions=coco_proj, coco_names=c["names"])
    info = {"words": len(vocab), "base_words": vocab.n_base, "pca_variance_kept": kept,
            "feature_cpu_minutes": {"flickr8k": float(z["cpu_seconds"]) / 60, "coco-mini": float(c["cpu_seconds"]) / 60},
            "feature_wall_minutes": {"flickr8k": float(z["seconds"]) / 60, "coco-mini": float(c["seconds"]) / 60}}
    (cache / "prepare.json").write_text(json.dumps(info, indent=1))
    log(json.dumps(info))
    return info


class Prepared:
    """prepared.npz + vocabulary + tokenised captions of one set."""

    def __init__(self, cache: pathlib.Path = CACHE):
        z = np.load(cache / "prepared.npz")
        self.pooled, self.regions = z["pooled"], z["regions"]
        self.names, self.splits = [str(n) for n in z["names"]], z["splits"]
        self.coco_pooled, self.coco_regions = z["coco_pooled"], z["coco_regions"]
        self.coco_names = [str(n) for n in z["coco_names"]]
        self.vocab = Vocab.from_json(cache / "vocab.json")
        self.glove = np.load(cache / "glove_rows.npy")
        items, _ = load_set("flickr8k")
        caps = {it[0]: it[1] for it in items}
        self.captions = [caps[n] for n in self.names]

    def index(self, split):
        return np.flatnonzero(self.splits == split)

    def pairs(self, split):
        """(photo index (n,), encoded captions (n, MAX_WORDS + 2)) for every caption of a split."""
        rows, ids = [], []
        for i in self.index(split):
            for c in self.captions[i]:
                ids.append(i)
                rows.append(self.vocab.encode(_tok(c)[:MAX_WORDS], length=MAX_WORDS + 2))
        return np.array(ids), np.array(rows, np.int64)


# -- decoding ---------------------------------------------------------------------------------------


def decode(model, pooled, regions, mode: str = "greedy", width: int = 3, alpha: float = 0.5, batch: int = 250):
    """Word-id lists for many photos: mode "greedy" or "beam" (batched beam search, see ``beam_batch``)."""
    from .infer import greedy

    out = []
    for i in range(0, len(pooled), batch):
        p, r = pooled[i:i + batch], regions[i:i + batch]
        out += greedy(model, p, r, max_len=MAX_WORDS + 2, banned=BANNED) if mode == "greedy" else beam_batch(model, p, r, width, alpha)
    return out


def beam_batch(model, pooled, regions, width: int = 3, alpha: float = 0.5, max_len: int = MAX_WORDS + 2):
    """Beam search for a batch of photos at once (width beams each). A hypothesis ends at STOP; its score
    is the sum of log-probabilities divided by (words + 1) ** alpha; a photo is done when it holds
    ``width`` finished hypotheses or at ``max_len``. The decoder is fed one word per step (its
    ``start`` / ``step`` state, copied along with each surviving hypothesis). Returns word-id lists
    (no START / STOP)."""
    import torch
    import torch.nn.functional as F

    from models.device import device_of

    from .photo_decoders import reorder

    model.eval()
    dev = device_of(model)
    p = torch.as_tensor(np.asarray(pooled, np.float32), device=dev)
    r = torch.as_tensor(np.asarray(regions, np.float32), device=dev)
    if p.ndim == 1:
        p, r = p[None], r[None]
    b, k = p.shape[0], width
    seqs = [[[START] for _ in range(k)] for _ in range(b)]
    scores = np.full((b, k), -np.inf)
    scores[:, 0] = 0.0
    finished = [[] for _ in range(b)]
    done = np.zeros(b, bool)
    banned = torch.tensor(BANNED, device=dev)
    with torch.inference_mode():
        state = reorder(model.start(p, r), torch.arange(b, device=dev).repeat_interleave(k))
        last = torch.full((b * k,), START, dtype=torch.long, device=dev)
        for step in range(max_len):
            logits, state = model.step(last, state)
            logp = F.log_softmax(logits.float(), -1).index_fill_(1, banned, -math.inf)
            v = logp.shape[1]
            cand = (torch.as_tensor(scores, dtype=torch.float32, device=dev).view(-1, 1) + logp).view(b, k * v)
            top_s, top_i = cand.topk(2 * k, 1)
            top_s, top_i = top_s.cpu().numpy(), top_i.cpu().numpy()
            rows = np.arange(b * k)  # the hypothesis each new beam row continues (itself unless replaced)
            for i in range(b):
                if done[i]:  # its rows are carried along unchanged and ignored
                    continue
                new_seqs, new_scores, origin = [], [], []
                for s, flat in zip(top_s[i], top_i[i]):
                    if not np.isfinite(s):
                        break
                    beam, word = divmod(int(flat), v)
                    seq = seqs[i][beam] + [word]
                    if word == STOP or step == max_len - 1:
                        finished[i].append((float(s) / (len(seq) - 1) ** alpha, seq))
                    else:
                        new_seqs.append(seq)
                        new_scores.append(float(s))
                        origin.append(i * k + beam)
                    if len(new_seqs) == k:
                        break
                if len(finished[i]) >= k or not new_seqs:
                    done[i] = True
                    scores[i] = -np.inf
                    continue
                while len(new_seqs) < k:
                    new_seqs.append(new_seqs[0])
                    new_scores.append(-np.inf)
                    origin.append(origin[0])
                seqs[i], scores[i] = new_seqs, new_scores
                rows[i * k:(i + 1) * k] = origin
            if done.all():
                break
            state = reorder(state, torch.as_tensor(rows, device=dev))
            last = torch.tensor([q[-1] for row in seqs for q in row], device=dev)
    out = []
    for i in range(b):
        best = max(finished[i])[1] if finished[i] else seqs[i][0]
        out.append([w for w in best[1:] if w not in (STOP, PAD, START)])
    return out


def score(vocab, ids_lists, references) -> dict:
    from .cocoeval import scores

    return scores(references, [" ".join(vocab.decode(ids)) for ids in ids_lists])


MODES = [("greedy", 1, 0.0), ("beam", 3, 0.5), ("beam", 3, 1.0), ("beam", 5, 0.5), ("beam", 5, 1.0)]


def mode_name(mode, width, alpha):
    return "greedy" if mode == "greedy" else f"beam{width}_a{alpha:g}"


def choose_decoding(model, data, widths=(3, 5), log=print) -> dict:
    """Score greedy and beam search (each width in ``widths``, alpha 0.5 and 1) on the 1,000 dev photos and
    keep the best by BLEU-4: the checkpoint's ``decoding``, ``dev`` (its scores, rounded) and
    ``dev_by_decoding`` (BLEU-4 of each)."""
    model.eval()
    dev = data.index("val")
    refs = [data.captions[i] for i in dev]
    chosen = []
    for m in [md for md in MODES if md[0] == "greedy" or md[1] in widths]:
        s = score(data.vocab, decode(model, data.pooled[dev], data.regions[dev], m[0], m[1], m[2]), refs)
        chosen.append((s["bleu4"], m, s))
        log(f"dev {mode_name(*m)}: BLEU-4 {s['bleu4']:.2f}, CIDEr {s['cider']:.1f}")
    _, m, best = max(chosen, key=lambda c: c[0])
    return {"decoding": {"mode": m[0], "width": m[1], "alpha": m[2], "name": mode_name(*m)},
            "dev": {k: round(v, 2) for k, v in best.items()},
            "dev_by_decoding": {mode_name(*c[1]): round(c[0], 2) for c in chosen}}


# -- train ------------------------------------------------------------------------------------------


def train(decoder: str, cpu_minutes: float, lr: float = 2e-3, batch: int = 64, seed: int = 0, threads: int = 1,
          run: pathlib.Path = RUN, log=print, bf16: bool = False, config: dict | None = None,
          widths=(3, 5)) -> dict:
    """``bf16``: the forward and backward passes under bfloat16 autocast (weights, optimiser state and the
    loss stay float32); on CPUs with AMX (Intel Sapphire Rapids and later) a step is about 1.5x cheaper.
    ``config``: the decoder's size (width, dropout, layers, heads; photo_decoders.DEFAULT otherwise) and
    ``packed_dropout`` (photo_decoders.build).
    ``widths``: the beam widths tried on dev when choosing the decoding (each with alpha 0.5 and 1.0)."""
    import torch
    import torch.nn.functional as F

    from models.device import cpu_state, set_threads

    from . import photo_decoders

    cpu0 = time.process_time()
    set_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = Prepared()
    cfg = {**photo_decoders.DEFAULT, **(config or {})}
    model = photo_decoders.build(decoder, len(data.vocab), data.glove, **cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    pics, caps = data.pairs("train")
    lens = (caps != PAD).sum(1)
    pooled = torch.from_numpy(data.pooled.astype(np.float32))
    regions = torch.from_numpy(data.regions.astype(np.float32))
    dev = data.index("val")
    dev_refs = [data.captions[i] for i in dev]
    budget, warm = cpu_minutes * 60.0, 300
    best, history, step, epoch = None, [], 0, 0

    def dev_eval(tag):
        nonlocal best
        model.eval()
        s = score(data.vocab, decode(model, data.pooled[dev], data.regions[dev]), dev_refs)
        row = {"epoch": tag, "steps": step, "dev_bleu4": round(s["bleu4"], 2), "dev_bleu1": round(s["bleu1"], 2),
               "dev_cider": round(s["cider"], 1), "cpu_minutes": round((time.process_time() - cpu0) / 60, 2)}
        history.append(row)
        if best is None or s["bleu4"] > best[0]:
            best = (s["bleu4"], {k: v.clone() for k, v in model.state_dict().items()}, tag)
        log(f"{decoder}: {json.dumps(row)}")
        model.train()

    out_of_budget = False
    while not out_of_budget:
        epoch += 1
        model.train()
        order = rng.permutation(len(pics))
        chunks = [order[c:c + 16 * batch] for c in range(0, len(order), 16 * batch)]
        batches = []
        for ch in chunks:
            ch = ch[np.argsort(lens[ch], kind="stable")]
            batches += [ch[j:j + batch] for j in range(0, len(ch), batch)]
        total, seen = 0.0, 0
        for j in rng.permutation(len(batches)):
            used = time.process_time() - cpu0
            if used >= budget:
                out_of_budget = True
                break
            frac = used / budget
            for g in opt.param_groups:
                g["lr"] = lr * min(1.0, (step + 1) / warm) * 0.5 * (1 + math.cos(math.pi * frac))
            sel = batches[j]
            rows = caps[sel][:, : int(lens[sel].max())]
            c = torch.from_numpy(rows)
            p = torch.from_numpy(pics[sel])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(c[:, :-1], pooled[p], regions[p])
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), c[:, 1:].reshape(-1), ignore_index=PAD,
                                   label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            total += loss.item() * len(sel)
            seen += len(sel)
        log(f"{decoder} epoch {epoch}: train loss {total / max(seen, 1):.3f} over {seen} captions, "
            f"{(time.process_time() - cpu0) / 60:.1f} CPU-min")
        if seen > len(pics) // 4 or not history:
            dev_eval(epoch if not out_of_budget else f"{epoch} (part)")
    model.load_state_dict(best[1])
    train_cpu = time.process_time() - cpu0
    run.mkdir(parents=True, exist_ok=True)
    torch.save({"decoder": decoder, "model": cpu_state(model), "history": history, "best_epoch": best[2]},
               run / f"{decoder}_best_weights.pt")  # kept even if the decoding choice below fails
    choice = choose_decoding(model, data, widths, lambda m: log(f"{decoder}: {m}"))
    cpu_total = time.process_time() - cpu0
    run.mkdir(parents=True, exist_ok=True)
    ck = {"decoder": decoder, "model": cpu_state(model), "config": cfg, "bf16_autocast": bf16,
          "vocab_size": len(data.vocab), "best_epoch": best[2], "history": history, **choice,
          "cpu_minutes": round(cpu_total / 60, 2), "cpu_minutes_training": round(train_cpu / 60, 2),
          "budget_cpu_minutes": cpu_minutes, "lr": lr, "widths": list(widths), "batch": batch, "seed": seed, "threads": threads,
          "steps": step, "epochs": epoch, "params": sum(p.numel() for p in model.parameters())}
    torch.save(ck, run / f"{decoder}.pt")
    log(f"{decoder}: best epoch {best[2]}, {choice['decoding']['name']}, dev BLEU-4 {choice['dev']['bleu4']:.2f}; "
        f"{cpu_total / 60:.1f} CPU-min "
        f"-> {run / (decoder + '.pt')}")
    return ck


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="caption decoders on Flickr8k: prepare, train (shipping: python -m models.captioning.photo_ship)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("prepare", help="vocabulary, PCA of the regions, prepared.npz")
    t = sub.add_parser("train", help="train one decoder on a CPU-time budget; select on dev")
    from .photo_decoders import ALL

    t.add_argument("--decoder", required=True, choices=ALL)
    t.add_argument("--cpu-minutes", type=float, default=12.0)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the passes (fast with AMX)")
    t.add_argument("--width", type=int, default=None)
    t.add_argument("--dropout", type=float, default=None)
    t.add_argument("--layers", type=int, default=None)
    t.add_argument("--packed-dropout", action="store_true",
                   help="draw dropout masks four entries per random integer (photo_decoders.PackedDropout; cheaper)")
    t.add_argument("--widths", type=int, nargs="+", default=[3, 5], help="beam widths tried on dev (default 3 5)")
    t.add_argument("--run", type=pathlib.Path, default=RUN, help=f"folder the decoder is written to (default {RUN})")
    a = ap.parse_args(argv)
    if a.cmd == "prepare":
        prepare()
    else:
        cfg = {k: v for k, v in (("width", a.width), ("dropout", a.dropout), ("layers", a.layers)) if v is not None}
        if a.packed_dropout:
            cfg["packed_dropout"] = True
        train(a.decoder, a.cpu_minutes, a.lr, a.batch, a.seed, a.threads, run=a.run, log=lambda m: print(m, flush=True),
              bf16=a.bf16, config=cfg, widths=tuple(a.widths))


if __name__ == "__main__":
    main(sys.argv[1:])
