"""Helpers for the Session I tests: read Plotly figure JSON out of AppTest (Plotly 7 packs arrays)."""
import base64
import json

import numpy as np


def decode(v):
    """Plotly 7 writes numpy arrays as {"dtype", "bdata", "shape"}; turn them (or lists) into numpy."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            shape = v["shape"]
            if isinstance(shape, str):
                shape = [int(s) for s in shape.split(",")]
            a = a.reshape(shape)
        return a
    return np.asarray(v)


def fig(at, i=0):
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def trace(at, i=0, t=0, field="z"):
    return decode(fig(at, i)["data"][t][field])
