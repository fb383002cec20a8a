"""Simple RNN, GRU and LSTM cells written out gate by gate, and the gradient reaching k steps back.

The deck's slides "Networks on Sequences" ... "Deeper too" draw the three cells; here they run. The
step-through functions are plain numpy so every gate value can be shown; equations follow PyTorch's
conventions (so the numbers match ``torch.nn.GRU`` / ``torch.nn.LSTM`` given the same weights):

    simple RNN:  h' = tanh(W x + U h + b)
    GRU:         r = s(W_r x + U_r h + b_r)          reset gate
                 z = s(W_z x + U_z h + b_z)          update gate (z = 1 keeps the old state)
                 n = tanh(W_n x + r * (U_n h) + b_n) candidate
                 h' = (1 - z) * n + z * h
    LSTM:        i, f, o = s(...), g = tanh(...)     input, forget, output gates; candidate
                 c' = f * c + i * g,   h' = o * tanh(c')

"Simplest RNN ~ gradient problem": ``gradient_reach`` measures |d loss / d x_{T-k}| for the three
cell types with autograd - how much of the learning signal gets back k steps.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

ALPHABET = string.ascii_lowercase + " "  # other characters share one extra input slot
CELLS = ("rnn", "gru", "lstm")


def one_hot_text(text: str) -> np.ndarray:
    """(T, 28): a-z, space, and one slot for anything else (digits, punctuation, non-ASCII)."""
    x = np.zeros((len(text), len(ALPHABET) + 1), np.float32)
    for t, ch in enumerate(text.lower()):
        x[t, ALPHABET.index(ch) if ch in ALPHABET else len(ALPHABET)] = 1.0
    return x


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


@dataclass
class CellWeights:
    kind: str
    W: np.ndarray   # (G*H, D) input weights, G = 1 (rnn), 3 (gru), 4 (lstm)
    U: np.ndarray   # (G*H, H) recurrent weights
    b: np.ndarray   # (G*H,)


def init_cell(kind: str, n_in: int, hidden: int, seed: int = 0, scale: float = 1.0) -> CellWeights:
    """PyTorch's default initialisation: uniform(-1/sqrt(H), 1/sqrt(H)), recurrent part times ``scale``."""
    g = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(hidden)
    W = rng.uniform(-k, k, (g * hidden, n_in)).astype(np.float32) * 3.0  # one-hot inputs are sparse: boost
    U = rng.uniform(-k, k, (g * hidden, hidden)).astype(np.float32) * scale
    b = rng.uniform(-k, k, g * hidden).astype(np.float32)
    return CellWeights(kind, W, U, b)


def run_cell(w: CellWeights, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run the cell over x (T, D) from a zero state; every array returned is (T, H).

    Keys: 'hidden' always; GRU adds 'reset', 'update', 'candidate'; LSTM adds 'input', 'forget',
    'output', 'candidate', 'cell'.
    """
    H = w.U.shape[1]
    h = np.zeros(H, np.float32)
    c = np.zeros(H, np.float32)
    out: dict[str, list] = {}

    def keep(**kv):
        for key, v in kv.items():
            out.setdefault(key, []).append(v.copy())

    for xt in x:
        gi = w.W @ xt + w.b          # (G*H,)
        gh = w.U @ h                 # (G*H,)
        if w.kind == "rnn":
            h = np.tanh(gi + gh)
            keep(hidden=h)
        elif w.kind == "gru":
            r = _sigmoid(gi[:H] + gh[:H])
            z = _sigmoid(gi[H:2 * H] + gh[H:2 * H])
            n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
            h = (1 - z) * n + z * h
            keep(hidden=h, reset=r, update=z, candidate=n)
        else:
            i = _sigmoid(gi[:H] + gh[:H])
            f = _sigmoid(gi[H:2 * H] + gh[H:2 * H])
            g = np.tanh(gi[2 * H:3 * H] + gh[2 * H:3 * H])
            o = _sigmoid(gi[3 * H:] + gh[3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
            keep(hidden=h, input=i, forget=f, output=o, candidate=g, cell=c)
    return {k: np.array(v) for k, v in out.items()}


def gradient_reach(kind: str, steps: int = 50, hidden: int = 32, scale: float = 1.0, batch: int = 16,
                   seed: int = 0, gate_bias: float = 0.0, input_scale: float = 0.5) -> np.ndarray:
    """|d L / d x_{T-k}| for k = 0..steps-1 (mean over a batch of random input sequences).

    L is a fixed random projection of the final hidden state, so only the path back through the
    recurrence carries gradient to early inputs. ``scale`` multiplies the recurrent weights
    (PyTorch default initialisation otherwise). ``gate_bias`` is added to the bias of the gate that
    keeps memory (LSTM forget gate, GRU update gate), the usual trick (LSTM forget bias 1-2) that lets
    gradient flow back further; it does nothing for the simple RNN, which has no gate.
    """
    import torch

    torch.manual_seed(seed)
    net = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](hidden, hidden, batch_first=True)
    with torch.no_grad():
        net.weight_hh_l0.mul_(scale)
        if kind == "lstm":      # gate order i, f, g, o
            net.bias_hh_l0[hidden:2 * hidden] += gate_bias
        elif kind == "gru":     # gate order r, z, n
            net.bias_hh_l0[hidden:2 * hidden] += gate_bias
    x = input_scale * torch.randn(batch, steps, hidden, requires_grad=True)  # (B, T, H)
    out, _ = net(x)
    readout = torch.randn(hidden)
    loss = (out[:, -1] @ readout).sum()
    (grad,) = torch.autograd.grad(loss, x)                            # (B, T, H)
    norms = grad.norm(dim=2).mean(dim=0).numpy()                      # (T,)
    return norms[::-1].copy()                                         # index k = steps back from the end
