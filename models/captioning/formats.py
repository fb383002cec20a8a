"""Loaders for real image-caption files: Flickr8k / Flickr30k token files, COCO caption JSON, Karpathy splits.

Every reader returns a list of :class:`Item` (image file name relative to the images folder, its captions,
and its split), the same shape as the built-in synthetic data set, so a presenter who owns Flickr8k,
Flickr30k or COCO runs the same pipeline on it.

Supported files (the format is detected from the content by :func:`load_captions`):

* Flickr token files (``Flickr8k.token.txt``, ``results_20130124.token``)::

      1000092795.jpg#0<TAB>Two young guys with shaggy hair look at their hands .

* the Flickr30k ``results.csv`` variant (pipe separated, with a header)::

      image_name| comment_number| comment
      1000092795.jpg| 0| Two young guys with shaggy hair look at their hands .

  and the Kaggle Flickr8k ``captions.txt`` variant (comma separated CSV, header ``image,caption``);
* COCO ``captions_train2014.json`` / ``captions_val2014.json`` (``images`` + ``annotations``);
* Karpathy split files ``dataset_flickr8k.json``, ``dataset_flickr30k.json``, ``dataset_coco.json``.

Splits: a Karpathy file names each image's split (``restval`` counts as train). Flickr token files carry
none, so an image goes to train / val / test (90 / 5 / 5) by a hash of its name, the same on every run and
every machine (:func:`hash_split`) unless Flickr8k split lists are given. COCO files take the split from
the file name (see :func:`read_coco`).

Every problem with a captions file raises :class:`CaptionFileError`, whose message names the file and the
line, e.g. ``captions.token line 7: expected 'image.jpg#n<TAB>caption'``.

Command line::

    python -m models.captioning.formats CAPTIONS [--images DIR]

prints the images and captions per split, the average caption length and, with ``--images``, how many of
the listed images are missing from the folder. Plain python only: no Streamlit, no nltk.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass

__all__ = ["Item", "CaptionFileError", "read_flickr_tokens", "read_coco", "read_karpathy", "load_captions",
           "detect_format", "attach_images", "hash_split", "main", "MAX_FILE_BYTES", "MAX_CAPTION_CHARS"]

MAX_FILE_BYTES = 500 * 10**6      # a caption file larger than this is not a caption file
MAX_CAPTION_CHARS = 1000          # longer captions are cut to this length (not an error)
SPLITS = ("train", "val", "test")

TOKEN_HINT = "expected 'image.jpg#n<TAB>caption'"
PIPE_HINT = "expected 'image.jpg| n| caption'"


@dataclass
class Item:
    """One image and its captions. ``image`` is relative to the images folder; ``split`` is train/val/test."""
    image: str
    captions: list[str]
    split: str


class CaptionFileError(ValueError):
    """A captions file that cannot be read. The message names the file and, where there is one, the line.

    Attributes: ``path`` (as given), ``line`` and ``column`` (1-based, or None), ``reason`` (message without
    the location).
    """

    def __init__(self, path, reason: str, line: int | None = None, column: int | None = None):
        self.path = os.fspath(path)
        self.line, self.column, self.reason = line, column, reason
        where = os.path.basename(self.path.rstrip("/\\")) or self.path
        if line is not None:
            where += f" line {line}"
            if column is not None:
                where += f" column {column}"
        super().__init__(f"{where}: {reason}")


# ----------------------------------------------------------------------------------------------- helpers

def hash_split(name: str, fractions: tuple[float, float] = (0.90, 0.95)) -> str:
    """Deterministic split of an image name: train below ``fractions[0]``, val below ``fractions[1]``, else test.

    Uses SHA-1 of the name (not Python's salted ``hash``), so it is the same on every run and machine.
    """
    u = _unit(name)
    return "train" if u < fractions[0] else "val" if u < fractions[1] else "test"


def _unit(name: str) -> float:
    """A number in [0, 1) fixed by ``name``."""
    return int.from_bytes(hashlib.sha1(name.encode("utf-8")).digest()[:8], "big") / 2.0**64


def _clean(caption: str) -> str:
    caption = " ".join(caption.split())       # tabs, newlines, runs of spaces -> one space
    return caption[:MAX_CAPTION_CHARS].rstrip()


def _read_text(path) -> str:
    """The file's text, after the guard rails: exists, not too big, not empty, UTF-8 (a BOM is allowed)."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise CaptionFileError(p, "no such file")
    if os.path.isdir(p):
        raise CaptionFileError(p, "is a folder, not a captions file")
    size = os.path.getsize(p)
    if size > MAX_FILE_BYTES:
        raise CaptionFileError(p, f"{size / 1e6:,.0f} MB is too big for a captions file "
                                  f"(limit {MAX_FILE_BYTES / 1e6:,.0f} MB); is this the images archive?")
    with open(p, "rb") as f:
        data = f.read()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = e.start + bom
        line = data.count(b"\n", 0, offset) + 1
        raise CaptionFileError(p, f"not UTF-8 text: byte {offset} is 0x{data[offset]:02x}; "
                                  "save the file as UTF-8", line=line) from None
    if not text.strip():
        raise CaptionFileError(p, "the file is empty")
    return text


def _lines(text: str):
    """(line number, line) pairs; only '\\n' ends a line (str.splitlines also splits on \\x0b, \\u2028, ...)."""
    for n, line in enumerate(text.split("\n"), 1):
        yield n, line.rstrip("\r")


def _group(path, rows, split_of) -> list[Item]:
    """rows: (image, caption) in file order -> Items in order of first appearance."""
    items: dict[str, Item] = {}
    for image, caption in rows:
        if not caption:
            continue
        it = items.get(image)
        if it is None:
            it = items[image] = Item(image, [], split_of(image))
        it.captions.append(caption)
    if not items:
        raise CaptionFileError(path, "no captions found")
    return list(items.values())


# ------------------------------------------------------------------------------------------- Flickr text

def _text_format(text: str) -> tuple[str, int, str]:
    """('token' | 'pipe' | 'csv', line number, line) from the first non-blank line."""
    for n, line in _lines(text):
        if not line.strip():
            continue
        if "\t" in line:
            return "token", n, line
        if "|" in line:
            return "pipe", n, line
        if line.replace(" ", "").lower().startswith("image,caption"):
            return "csv", n, line
        return "unknown", n, line
    return "unknown", 1, ""


def _token_rows(text: str, path):
    for n, line in _lines(text):
        if not line.strip():
            continue
        key, tab, caption = line.partition("\t")
        key = key.strip()
        if not tab or not key:
            raise CaptionFileError(path, TOKEN_HINT, line=n)
        image, hash_, number = key.rpartition("#")
        if not hash_:
            image = key                     # a token file without '#n' numbers
        elif not number.strip().isdigit() or not image:
            raise CaptionFileError(path, f"{TOKEN_HINT}; '{key[:80]}' has no caption number after '#'", line=n)
        yield image.strip(), _clean(caption)


_QUIRK = re.compile(r"\s*(\d+)\s+(.*)")   # Flickr30k results.csv has a row '2199200615.jpg| 4 A dog runs ...'


def _pipe_rows(text: str, path):
    first = True
    for n, line in _lines(text):
        if not line.strip():
            continue
        fields = line.split("|", 2)
        if first:
            first = False
            if fields[0].strip().lower() in ("image_name", "image"):
                continue                    # the header
        if len(fields) == 3:
            image, number, caption = fields
            if not number.strip().isdigit():
                raise CaptionFileError(path, f"{PIPE_HINT}; comment_number '{number.strip()[:40]}' is not a number",
                                       line=n)
        elif len(fields) == 2 and _QUIRK.fullmatch(fields[1]):
            image, caption = fields[0], _QUIRK.fullmatch(fields[1]).group(2)
        else:
            raise CaptionFileError(path, PIPE_HINT, line=n)
        if not image.strip():
            raise CaptionFileError(path, f"{PIPE_HINT}; the image name is empty", line=n)
        yield image.strip(), _clean(caption)


def _csv_rows(text: str, path):
    reader = csv.reader(text.split("\n"))
    header = True
    for row in reader:
        n = reader.line_num
        if not row or not "".join(row).strip():
            continue
        if header:
            header = False
            continue
        if len(row) < 2 or not row[0].strip():
            raise CaptionFileError(path, "expected 'image.jpg,caption'", line=n)
        yield row[0].strip(), _clean(",".join(row[1:]))


def _split_lists(splits: dict) -> dict[str, str]:
    """Flickr8k split files ({'train': 'Flickr_8k.trainImages.txt', ...}) -> {image: split}."""
    where: dict[str, tuple[str, str, int]] = {}
    for name, p in splits.items():
        split = {"dev": "val", "restval": "train"}.get(name, name)
        if split not in SPLITS:
            raise ValueError(f"split {name!r}: expected one of train, val (or dev), test")
        for n, line in _lines(_read_text(p)):
            image = line.strip()
            if not image:
                continue
            if image in where and where[image][0] != split:
                s0, p0, n0 = where[image]
                raise CaptionFileError(p, f"{image} is also in the {s0} list "
                                          f"({os.path.basename(os.fspath(p0))} line {n0})", line=n)
            where[image] = (split, os.fspath(p), n)
    return {image: s for image, (s, _, _) in where.items()}


def _parse_flickr(text: str, path, splits: dict | None = None, unlisted: str = "drop") -> list[Item]:
    kind, n, line = _text_format(text)
    rows = {"token": _token_rows, "pipe": _pipe_rows, "csv": _csv_rows}.get(kind)
    if rows is None:
        raise CaptionFileError(path, f"{TOKEN_HINT} (Flickr token file), 'image_name| comment_number| comment' "
                                     "(Flickr30k results.csv) or an 'image,caption' header", line=n)
    if not splits:
        return _group(path, rows(text, path), hash_split)
    if unlisted not in ("drop", "hash"):
        raise ValueError("unlisted: 'drop' or 'hash'")
    listed = _split_lists(splits)
    items = _group(path, rows(text, path), lambda image: listed.get(image) or hash_split(image))
    if unlisted == "drop":
        items = [it for it in items if it.image in listed]
        if not items:
            raise CaptionFileError(path, "no image of the captions file is in the split lists")
    return items


def read_flickr_tokens(path, splits: dict | None = None, unlisted: str = "drop") -> list[Item]:
    """Read a Flickr8k / Flickr30k captions file.

    Accepts the token format (``1000092795.jpg#0<TAB>caption``; ``Flickr8k.token.txt``,
    ``Flickr8k.lemma.token.txt``, ``results_20130124.token``), the Flickr30k ``results.csv`` variant
    (``image_name| comment_number| comment``, pipe separated) and the Kaggle ``captions.txt`` CSV
    (``image,caption``). Blank lines are skipped; captions are grouped by image in file order.

    Splits: by default 90/5/5 train/val/test by :func:`hash_split` of the image name (the same every run).
    ``splits={"train": "Flickr_8k.trainImages.txt", "val": "Flickr_8k.devImages.txt", "test": ...}`` uses the
    Flickr8k lists instead ("dev" means val); an image in none of them is dropped (``unlisted="drop"``,
    as the Flickr8k lists leave out a few images of the token file) or hash-split (``unlisted="hash"``).
    """
    return _parse_flickr(_read_text(path), path, splits, unlisted)


# ------------------------------------------------------------------------------------------------- JSON

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _json_offset(text: str, keys) -> int | None:
    """Character offset of the value at ``keys`` (str: object key, int: array index) in JSON text, or None."""
    try:
        pos = _WS.match(text, 0).end()
        for key in keys:
            opener, closer = ("{", "}") if isinstance(key, str) else ("[", "]")
            if text[pos] != opener:
                return None
            pos = _WS.match(text, pos + 1).end()
            i = 0
            while True:
                if text[pos] == closer:
                    return None
                if isinstance(key, str):
                    k, pos = _DECODER.raw_decode(text, pos)
                    pos = _WS.match(text, pos).end() + 1          # the ':'
                    pos = _WS.match(text, pos).end()
                    if k == key:
                        break
                elif i == key:
                    break
                _, pos = _DECODER.raw_decode(text, pos)
                pos = _WS.match(text, pos).end()
                if text[pos] == ",":
                    pos = _WS.match(text, pos + 1).end()
                i += 1
        return pos
    except (IndexError, ValueError):
        return None


class _Json:
    """Parsed JSON plus what is needed to point at a record's line when it is wrong."""

    def __init__(self, text: str, path):
        self.text, self.path = text, path
        try:
            self.data = json.loads(text)
        except json.JSONDecodeError as e:
            msg = e.msg.removesuffix(" at").removesuffix(" starting")
            cut = msg.startswith("Unterminated") or e.pos >= len(text.rstrip())
            raise CaptionFileError(path, f"not valid JSON ({msg}){'; is the file cut off?' if cut else ''}",
                                   line=e.lineno, column=e.colno) from None
        except RecursionError:
            raise CaptionFileError(path, "JSON nested too deeply") from None

    def error(self, keys, reason: str):
        """CaptionFileError at the line of the value at keys, e.g. ('annotations', 3, 'caption')."""
        label = str(keys[0]) + "".join(f"[{k}]" if isinstance(k, int) else f"[{k!r}]" for k in keys[1:])
        pos = None
        for depth in range(len(keys), 0, -1):          # the key itself may be missing: point at its record
            pos = _json_offset(self.text, keys[:depth])
            if pos is not None:
                break
        line = self.text.count("\n", 0, pos) + 1 if pos is not None else 1    # else: the top-level object
        return CaptionFileError(self.path, f"{label}: {reason}", line=line)

    def records(self, key: str, needs: dict[str, tuple]):
        """The list at data[key]; each record must be an object with the keys of ``needs`` of those types."""
        recs = self.data.get(key) if isinstance(self.data, dict) else None
        if not isinstance(recs, list):
            raise self.error((key,), "expected a list" if isinstance(self.data, dict) and key in self.data
                             else f"missing (expected a list of records under {key!r})")
        for i, rec in enumerate(recs):
            if not isinstance(rec, dict):
                raise self.error((key, i), "expected an object")
            for k, types in needs.items():
                if k not in rec:
                    rid = f" (record id {rec['id']})" if isinstance(rec.get("id"), (int, str)) else ""
                    raise self.error((key, i), f"missing key {k!r}{rid}")
                if not isinstance(rec[k], types) or isinstance(rec[k], bool):
                    want = " or ".join(t.__name__ for t in types)
                    raise self.error((key, i, k), f"{k!r} should be {want}, not {type(rec[k]).__name__}")
        return recs


def _coco_split_rule(path):
    name = os.path.basename(os.fspath(path)).lower()
    if "train" in name:
        return lambda image: "train"
    if "val" in name:
        return lambda image: "val" if _unit("coco-val:" + image) < 0.5 else "test"
    return hash_split


def _parse_coco(doc: _Json, path) -> list[Item]:
    if not isinstance(doc.data, dict) or "annotations" not in doc.data:
        raise CaptionFileError(path, "not a COCO captions file (no 'annotations' list)", line=1)
    images = doc.records("images", {"id": (int, str), "file_name": (str,)})
    anns = doc.records("annotations", {"image_id": (int, str), "caption": (str,)})
    by_id: dict = {}
    for i, im in enumerate(images):
        if im["id"] in by_id:
            raise doc.error(("images", i, "id"), f"image id {im['id']} appears twice")
        if not im["file_name"].strip():
            raise doc.error(("images", i, "file_name"), "empty file_name")
        by_id[im["id"]] = im["file_name"].strip()
    captions: dict = {}
    for i, ann in enumerate(anns):
        if ann["image_id"] not in by_id:
            raise doc.error(("annotations", i, "image_id"), f"image_id {ann['image_id']} is not in 'images'")
        captions.setdefault(ann["image_id"], []).append(_clean(ann["caption"]))
    split_of = _coco_split_rule(path)
    rows = ((by_id[iid], c) for iid in by_id for c in captions.get(iid, ()))
    return _group(path, rows, split_of)


def read_coco(path) -> list[Item]:
    """Read a COCO captions file (``captions_train2014.json`` style: ``images`` with ``id`` / ``file_name``,
    ``annotations`` with ``image_id`` / ``caption``). Images without captions are left out.

    The split comes from the file name: "train" in the name -> every image is train; "val" in the name ->
    the val images are split deterministically into half val, half test (by a hash of the file name, so an
    image keeps its split however the file is trimmed; the halves are about, not exactly, equal);
    otherwise 90/5/5 by :func:`hash_split`.
    """
    return _parse_coco(_Json(_read_text(path), path), path)


def _parse_karpathy(doc: _Json, path) -> list[Item]:
    if not isinstance(doc.data, dict) or "annotations" in doc.data:
        looks = "; it looks like COCO captions" if isinstance(doc.data, dict) else ""
        raise CaptionFileError(path, f"not a Karpathy split file (expected an 'images' list with 'sentences'{looks})",
                               line=1)
    images = doc.records("images", {"filename": (str,), "split": (str,), "sentences": (list,)})
    rows, splits = [], {}
    for i, im in enumerate(images):
        split = {"restval": "train"}.get(im["split"], im["split"])
        if split not in SPLITS:
            raise doc.error(("images", i, "split"), f"split {im['split']!r} is not train, val, test or restval")
        filepath = im.get("filepath") or ""
        if not isinstance(filepath, str):
            raise doc.error(("images", i, "filepath"), "'filepath' should be str")
        image = "/".join(p.strip("/") for p in (filepath, im["filename"].strip()) if p.strip("/"))
        if not image:
            raise doc.error(("images", i, "filename"), "empty filename")
        splits[image] = split
        for j, s in enumerate(im["sentences"]):
            if isinstance(s, dict) and isinstance(s.get("raw"), str):
                rows.append((image, _clean(s["raw"])))
            elif isinstance(s, dict) and isinstance(s.get("tokens"), list):
                rows.append((image, _clean(" ".join(map(str, s["tokens"])))))
            else:
                raise doc.error(("images", i, "sentences", j), "expected an object with 'raw' or 'tokens'")
    return _group(path, rows, splits.__getitem__)


def read_karpathy(path) -> list[Item]:
    """Read a Karpathy split file (``dataset_flickr8k.json``, ``dataset_flickr30k.json``, ``dataset_coco.json``):
    ``{"images": [{"filename", "filepath"?, "split", "sentences": [{"raw", "tokens"}]}]}``.

    ``restval`` counts as train. The image path is ``filepath/filename`` when ``filepath`` is given (COCO),
    else ``filename``. The caption is ``raw`` (or the ``tokens`` joined by spaces when there is no ``raw``).
    """
    return _parse_karpathy(_Json(_read_text(path), path), path)


# ------------------------------------------------------------------------------------- detection, images

def _detect(text: str, path) -> tuple[str, _Json | None]:
    if text.lstrip()[:1] in ("{", "["):
        doc = _Json(text, path)
        data = doc.data
        if isinstance(data, dict) and "annotations" in data:
            return "coco", doc
        ims = data.get("images") if isinstance(data, dict) else None
        if isinstance(ims, list) and ims and isinstance(ims[0], dict) and "sentences" in ims[0]:
            return "karpathy", doc
        raise CaptionFileError(path, "JSON, but neither COCO captions ('images' + 'annotations') nor a Karpathy "
                                     "split file ('images' with 'sentences')", line=1)
    return "flickr", None


def detect_format(path) -> str:
    """'coco', 'karpathy' or 'flickr' (token / results.csv / captions.txt), from the file's content."""
    return _detect(_read_text(path), path)[0]


def load_captions(path, **kw) -> list[Item]:
    """Read any supported captions file; the format is detected from the content, not the name.

    JSON with "annotations" -> :func:`read_coco`; JSON whose images have "sentences" -> :func:`read_karpathy`;
    anything else -> :func:`read_flickr_tokens` (which takes ``splits=`` / ``unlisted=`` through ``kw``).
    """
    text = _read_text(path)
    kind, doc = _detect(text, path)
    if kind == "coco":
        if kw:
            raise TypeError(f"a COCO file takes no options ({', '.join(kw)})")
        return _parse_coco(doc, path)
    if kind == "karpathy":
        if kw:
            raise TypeError(f"a Karpathy file takes no options ({', '.join(kw)})")
        return _parse_karpathy(doc, path)
    return _parse_flickr(text, path, **kw)


def attach_images(items: list[Item], images_dir) -> tuple[list[Item], list[str]]:
    """Keep the items whose image file exists under ``images_dir``.

    Returns ``(kept, missing)``: the kept items in their order and the names (each once, in item order) of
    the images that are not in the folder. Names that would leave the folder (absolute, '..') count as
    missing.
    """
    root = os.fspath(images_dir)
    if not os.path.isdir(root):
        raise NotADirectoryError(f"images folder {root} does not exist")
    listing: dict[str, set[str]] = {}          # one listdir per folder instead of one stat per image

    def exists(name: str) -> bool:
        parts = name.replace("\\", "/").split("/")
        if not name or os.path.isabs(name) or ".." in parts or "" in parts:
            return False
        folder = os.path.join(root, *parts[:-1])
        if folder not in listing:
            try:
                listing[folder] = {e.name for e in os.scandir(folder) if e.is_file()}
            except OSError:
                listing[folder] = set()
        return parts[-1] in listing[folder]

    kept, missing, seen = [], [], set()
    for it in items:
        if exists(it.image):
            kept.append(it)
        elif it.image not in seen:
            seen.add(it.image)
            missing.append(it.image)
    return kept, missing


# --------------------------------------------------------------------------------------------- command

def _counts(items: list[Item]) -> dict[str, tuple[int, int]]:
    return {s: (sum(1 for it in items if it.split == s), sum(len(it.captions) for it in items if it.split == s))
            for s in SPLITS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.captioning.formats",
                                 description="Check a captions file (Flickr token/results.csv, COCO, Karpathy): "
                                             "images and captions per split, caption length, missing images.")
    ap.add_argument("captions", help="captions file")
    ap.add_argument("--images", metavar="DIR", help="images folder: report images missing from it")
    for s, example in (("train", "Flickr_8k.trainImages.txt"), ("val", "Flickr_8k.devImages.txt"),
                       ("test", "Flickr_8k.testImages.txt")):
        ap.add_argument(f"--{s}-list", metavar="FILE", help=f"Flickr8k split list, e.g. {example}")
    args = ap.parse_args(argv)
    splits = {s: getattr(args, f"{s}_list") for s in SPLITS if getattr(args, f"{s}_list")}
    try:
        kind = detect_format(args.captions)
        items = load_captions(args.captions, **({"splits": splits} if splits else {}))
        kept, missing = attach_images(items, args.images) if args.images else (items, [])
    except (CaptionFileError, OSError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    caps = [c for it in items for c in it.captions]
    label = {"coco": "COCO captions", "karpathy": "Karpathy split", "flickr": "Flickr captions"}[kind]
    print(f"{args.captions}: {label}, {len(items):,} images, {len(caps):,} captions")
    listed, found = _counts(items), _counts(kept)
    head = f"{'split':<6}{'images':>10}{'captions':>10}"
    print(head + (f"{'in folder':>11}" if args.images else ""))
    for s in SPLITS:
        row = f"{s:<6}{listed[s][0]:>10,}{listed[s][1]:>10,}"
        print(row + (f"{found[s][0]:>11,}" if args.images else ""))
    words = sum(len(c.split()) for c in caps) / len(caps)
    chars = sum(len(c) for c in caps) / len(caps)
    print(f"average caption length: {words:.1f} words, {chars:.1f} characters")
    if args.images:
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            print(f"{len(missing):,} images listed in the captions file are not in the folder {args.images} "
                  f"({shown})")
        else:
            print(f"all {len(items):,} images are in the folder {args.images}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
