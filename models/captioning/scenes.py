"""The built-in captioned-scenes data set: rendered pictures of shapes, five grammar captions each.

Flickr30k and COCO cannot be downloaded here, so the deck makes its own captioning data: each picture
has one to three shapes (circle, square, triangle, diamond, star) in one of six colours, small or large,
placed anywhere on a light background; its five reference captions describe the same scene in
different words — what is there, how many, how big, where, and where the shapes are relative to each
other. A caption model must look at the picture to get colours, shapes, counts and positions right;
one trained on the captions alone (the image-blind baseline) can only guess the commonest words.

Every scene is a pure function of (seed, index), so the pictures need not be stored: ``render(scene)``
redraws one on demand. Splits are by picture.

    python -m models.captioning.scenes --count 12000 --out data/captioning/scenes.json
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import random
from dataclasses import asdict, dataclass

import numpy as np

SIZE = 160
SHAPES = ["circle", "square", "triangle", "diamond", "star"]
COLOURS = {  # name -> RGB (distinct hues; the captions name them, so they must be told apart)
    "red": (214, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 220),
    "yellow": (240, 200, 20), "purple": (140, 60, 170), "orange": (245, 130, 20),
}
SIZES = {"small": (11, 15), "large": (22, 28)}  # radius range in pixels
NUMBERS = {2: "two", 3: "three"}
SPLITS = (("train", 0.0), ("val", 0.85), ("test", 0.925))  # fraction where each split starts


@dataclass
class Shape:
    shape: str
    colour: str
    size: str
    x: float  # centre, pixels
    y: float
    r: float


@dataclass
class Scene:
    index: int
    split: str
    shapes: list[Shape]
    captions: list[str]
    background: tuple[int, int, int]


# --------------------------------------------------------------------------------------------
# Layout


def _split_of(index: int, count: int) -> str:
    frac = index / max(count, 1)
    name = "train"
    for split, start in SPLITS:
        if frac >= start:
            name = split
    return name


def _place(rng: random.Random, n: int) -> list[Shape]:
    shapes: list[Shape] = []
    tries = 0
    while len(shapes) < n and tries < 500:
        tries += 1
        size = rng.choice(list(SIZES))
        r = rng.uniform(*SIZES[size])
        x, y = rng.uniform(r + 4, SIZE - r - 4), rng.uniform(r + 4, SIZE - r - 4)
        if any(math.hypot(x - s.x, y - s.y) < r + s.r + 8 for s in shapes):
            continue
        shapes.append(Shape(rng.choice(SHAPES), rng.choice(list(COLOURS)), size, x, y, r))
    return shapes


def make_scene(index: int, seed: int = 2017, count: int = 12000) -> Scene:
    rng = random.Random(seed * 1_000_003 + index)
    n = rng.choices([1, 2, 3], weights=[0.3, 0.45, 0.25])[0]
    if n >= 2 and rng.random() < 0.2:  # some pictures repeat one kind of shape, to be counted
        shapes = _place(rng, n)
        for s in shapes[1:]:
            s.shape, s.colour = shapes[0].shape, shapes[0].colour
    else:
        shapes = _place(rng, n)
    shapes.sort(key=lambda s: s.x)  # left to right, the order the captions mention them
    grey = rng.randint(225, 250)
    background = (grey + rng.randint(-5, 5), grey, grey + rng.randint(-5, 5))
    return Scene(index, _split_of(index, count), shapes, captions(shapes, rng), background)


# --------------------------------------------------------------------------------------------
# Captions


def _where(s: Shape) -> str:
    col = "left" if s.x < SIZE / 3 else "right" if s.x > 2 * SIZE / 3 else ""
    row = "top" if s.y < SIZE / 3 else "bottom" if s.y > 2 * SIZE / 3 else ""
    if row and col:
        return f"in the {row} {col} corner"
    if row:
        return f"at the {row}"
    if col:
        return f"on the {col}"
    return "in the middle"


def _relation(a: Shape, b: Shape) -> tuple[str, str]:
    """(a REL b, b REL a) by the larger displacement."""
    dx, dy = b.x - a.x, b.y - a.y
    if abs(dx) >= abs(dy):
        return ("to the left of", "to the right of") if dx > 0 else ("to the right of", "to the left of")
    return ("above", "below") if dy > 0 else ("below", "above")


def _np(s: Shape, size: bool = True, article: str = "a") -> str:
    words = ([s.size] if size else []) + [s.colour, s.shape]
    if article == "a" and words[0][0] in "aeiou":
        article = "an"
    return " ".join([article] + words)


def _plural(shape: str) -> str:
    return shape + "es" if shape.endswith("s") else shape + "s"


def captions(shapes: list[Shape], rng: random.Random) -> list[str]:
    n = len(shapes)
    out: list[str] = []
    if n == 1:
        s = shapes[0]
        w = _where(s)
        out = [f"{_np(s)} {w} .", f"{_np(s, False)} {w} .", f"there is {_np(s)} {w} .",
               f"{_np(s)} on a grey background .", f"one {s.colour} {s.shape} {w} ."]
    elif all((s.shape, s.colour) == (shapes[0].shape, shapes[0].colour) for s in shapes):
        s, num = shapes[0], NUMBERS[n]
        many = f"{num} {s.colour} {_plural(s.shape)}"
        rel = _relation(shapes[0], shapes[1])[0] if n == 2 else ""
        arrangement = ("side by side" if "left" in rel or "right" in rel else "one above the other") if n == 2 else "in a row"
        out = [f"{many} .", f"there are {many} .", f"{many} {arrangement} .",
               f"{num} {_plural(s.shape)} , all {s.colour} .", f"a picture of {many} ."]
    elif n == 2:
        a, b = shapes
        ab, ba = _relation(a, b)
        out = [f"{_np(a)} {ab} {_np(b)} .", f"{_np(b)} {ba} {_np(a)} .", f"{_np(a, False)} and {_np(b, False)} .",
               f"there is {_np(a)} {ab} {_np(b)} .", f"two shapes : {_np(a, False)} and {_np(b, False)} ."]
    else:
        a, b, c = shapes
        ab, _ = _relation(a, b)
        out = [f"{_np(a)} , {_np(b)} and {_np(c)} .", f"three shapes : {_np(a, False)} , {_np(b, False)} and {_np(c, False)} .",
               f"{_np(a, False)} {ab} {_np(b, False)} and {_np(c, False)} .",
               f"there are three shapes : {_np(a)} , {_np(b)} and {_np(c)} .",
               f"{_np(a, False)} , {_np(b, False)} and {_np(c, False)} from left to right ."]
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------------------------
# Drawing


def _polygon(s: Shape) -> list[tuple[float, float]]:
    if s.shape == "square":
        k = s.r * 0.85
        return [(s.x - k, s.y - k), (s.x + k, s.y - k), (s.x + k, s.y + k), (s.x - k, s.y + k)]
    if s.shape == "triangle":
        return [(s.x + s.r * math.cos(a), s.y + s.r * math.sin(a)) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    if s.shape == "diamond":
        return [(s.x, s.y - s.r), (s.x + s.r * 0.75, s.y), (s.x, s.y + s.r), (s.x - s.r * 0.75, s.y)]
    if s.shape == "star":
        pts = []
        for i in range(10):
            rad = s.r if i % 2 == 0 else s.r * 0.45
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((s.x + rad * math.cos(a), s.y + rad * math.sin(a)))
        return pts
    raise ValueError(s.shape)


def render(scene: Scene, size: int = SIZE) -> np.ndarray:
    """The scene's picture: (size, size, 3) uint8, drawn at 2× and downsampled (smooth edges)."""
    from PIL import Image, ImageDraw

    k = 2 * size / SIZE
    img = Image.new("RGB", (2 * size, 2 * size), tuple(scene.background))
    draw = ImageDraw.Draw(img)
    for s in scene.shapes:
        colour = COLOURS[s.colour]
        if s.shape == "circle":
            draw.ellipse([(s.x - s.r) * k, (s.y - s.r) * k, (s.x + s.r) * k, (s.y + s.r) * k], fill=colour)
        else:
            draw.polygon([(x * k, y * k) for x, y in _polygon(s)], fill=colour)
    return np.asarray(img.resize((size, size), Image.LANCZOS))


# --------------------------------------------------------------------------------------------
# The whole set


def make_scenes(count: int = 12000, seed: int = 2017) -> list[Scene]:
    return [make_scene(i, seed, count) for i in range(count)]


def scene_to_json(scene: Scene) -> dict:
    d = asdict(scene)
    for s in d["shapes"]:
        s["x"], s["y"], s["r"] = round(s["x"], 2), round(s["y"], 2), round(s["r"], 2)
    return d


def scene_from_json(d: dict) -> Scene:
    return Scene(d["index"], d["split"], [Shape(**s) for s in d["shapes"]], list(d["captions"]), tuple(d["background"]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--out", default="data/captioning/scenes.json")
    a = ap.parse_args(argv)
    scenes = make_scenes(a.count, a.seed)
    out = pathlib.Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seed": a.seed, "count": a.count, "scenes": [scene_to_json(s) for s in scenes]}))
    by = {sp: sum(s.split == sp for s in scenes) for sp, _ in SPLITS}
    print(f"{len(scenes)} scenes ({by}), {5 * len(scenes)} captions -> {out}")


if __name__ == "__main__":
    main()
