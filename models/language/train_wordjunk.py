"""Train the words-vs-junk discriminator and the word generator on the wamerican dictionary.

    python -m models.language.train_wordjunk --disc-iters 3000 --gen-iters 6000

Discriminator batches: 32 real training words + 32 bigram fakes (a fake that happens to be a real word
is relabelled real), as the notebook did. Generator: maximum likelihood on batches of 128 training words, cosine learning-rate decay.
Metrics (manifest): discriminator accuracy on held-out real words vs fresh bigram fakes, and the
% of generated strings that are real words, next to the n-gram baselines (10,000 samples each).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from models import artefacts
from models.device import add_device_argument, cpu_state, resolve, set_threads, trained_on
from models.language.wordjunk import (DICT_PATH, Discriminator, NGram, WordGenerator, dictionary_path, encode_batch,
                                      load_dictionary, real_word_rate, split_dictionary)

N_EVAL = 10_000


def fakes(bigram: NGram, n: int, rng) -> list[str]:
    return [bigram.generate(rng) or "q" for _ in range(n)]


def eval_discriminator(disc: Discriminator, val_words, bigram, dictionary, seed: int = 7) -> float:
    """Accuracy at P=0.5 on 2,000 held-out real words + 2,000 bigram fakes that are not real words."""
    rng = np.random.default_rng(seed)
    d = set(dictionary)
    junk = []
    while len(junk) < 2000:
        junk += [f for f in fakes(bigram, 500, rng) if f not in d]
    real = [val_words[i] for i in rng.permutation(len(val_words))[:2000]]
    p_real, p_junk = disc.score(real), disc.score(junk[:2000])
    return float(((p_real > 0.5).sum() + (p_junk <= 0.5).sum()) / (len(p_real) + 2000))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--disc-iters", type=int, default=3000)
    ap.add_argument("--gen-iters", type=int, default=6000)
    ap.add_argument("--gen-batch", type=int, default=128)
    ap.add_argument("--skip-disc", action="store_true", help="keep the shipped discriminator, retrain the generator")
    ap.add_argument("--seed", type=int, default=2016)
    add_device_argument(ap)
    args = ap.parse_args(argv)
    device = resolve(args.device)
    set_threads("single")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    command = "python -m models.language.train_wordjunk " + " ".join(sys.argv[1:] if argv is None else argv)
    words = load_dictionary()
    train, val = split_dictionary(words)
    d = set(words)
    source = dictionary_path()
    data = ("wamerican 2020.12.07 (/usr/share/dict/american-english)" if source == DICT_PATH else str(source)) \
        + ": a-z words of 3-15 letters, 90% train / 10% held out"

    # n-gram baselines (built from the training words)
    baselines = {}
    for n, name in ((1, "unigram"), (2, "bigram"), (3, "trigram")):
        m = NGram(n, train)
        g = np.random.default_rng(123)
        baselines[name] = round(real_word_rate([m.generate(g) for _ in range(N_EVAL)], words), 4)
    print("n-gram % real words:", baselines, flush=True)
    bigram = NGram(2, train)

    # discriminator
    t0 = time.time()
    if args.skip_disc:
        args.disc_iters = 0
    disc = Discriminator().to(device)
    opt = torch.optim.Adam(disc.parameters(), lr=3e-3)
    for it in range(1, args.disc_iters + 1):
        disc.train()
        real = [train[i] for i in rng.integers(0, len(train), 32)]
        fake = fakes(bigram, 32, rng)
        x, lengths = encode_batch(real + fake)
        y = torch.tensor([1.0] * 32 + [1.0 if f in d else 0.0 for f in fake], device=device)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(disc(x.to(device), lengths.to(device)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(disc.parameters(), 5.0)
        opt.step()
        if it % 500 == 0:
            print(f"disc it {it} loss {loss.item():.3f}", flush=True)
    path = artefacts.folder("language") / "wordjunk_discriminator.pt"
    if args.skip_disc:
        disc.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    acc = eval_discriminator(disc, val, bigram, words)
    secs = time.time() - t0
    if not args.skip_disc:
        torch.save(cpu_state(disc), path)
        artefacts.record("language", {
            "name": "wordjunk_discriminator", "path": artefacts.relative(path),
            "command": command, "data": data,
            "metrics": {"heldout_accuracy_vs_bigram_junk": round(acc, 4), "iterations": args.disc_iters},
            "trained_on": trained_on(device, "CPU, 1 thread"), "train_seconds": round(secs, 1),
        })
    print("discriminator held-out accuracy", acc, f"{secs:.0f}s", flush=True)

    # generator
    t0 = time.time()
    gen = WordGenerator().to(device)
    opt = torch.optim.Adam(gen.parameters(), lr=3e-3)
    for it in range(1, args.gen_iters + 1):
        gen.train()
        for g in opt.param_groups:          # cosine decay to 5% of the peak
            g["lr"] = 3e-3 * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * it / args.gen_iters)))
        loss = gen.loss([train[i] for i in rng.integers(0, len(train), args.gen_batch)])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gen.parameters(), 5.0)
        opt.step()
        if it % 500 == 0:
            print(f"gen it {it} loss {loss.item():.3f}", flush=True)
    with torch.no_grad():
        val_loss = float(gen.loss(val[:5000]))
    samples = gen.generate(N_EVAL, seed=123)
    rate = real_word_rate(samples, words)
    novel = float(np.mean([s in set(val) for s in samples]))
    secs = time.time() - t0
    path = artefacts.folder("language") / "wordjunk_generator.pt"
    torch.save(cpu_state(gen), path)
    artefacts.record("language", {
        "name": "wordjunk_generator", "path": artefacts.relative(path),
        "command": command, "data": data,
        "metrics": {"real_word_rate": round(rate, 4), "heldout_word_rate": round(novel, 4),
                    "val_loss_nats_per_symbol": round(val_loss, 4), "iterations": args.gen_iters,
                    "samples": N_EVAL, "sample_seed": 123,
                    **{f"{k}_real_word_rate": v for k, v in baselines.items()}},
        "trained_on": trained_on(device, "CPU, 1 thread"), "train_seconds": round(secs, 1),
    })
    print(f"generator: {rate:.3f} real words ({novel:.3f} held-out words never trained on), val loss {val_loss:.3f}, {secs:.0f}s")


if __name__ == "__main__":
    main()
