"""Caption-file loaders (Flickr token / results.csv, COCO, Karpathy) on tiny fixtures: counts, captions, splits,
format detection, images on disk, malformed files (file + line in the error), and the command line."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.captioning import formats
from models.captioning.formats import (CaptionFileError, Item, attach_images, detect_format, hash_split, load_captions,
                                       main, read_coco, read_flickr_tokens, read_karpathy)

FIX = Path(__file__).parent / "fixtures" / "captioning"
IMAGES = FIX / "images"
ROOT = Path(__file__).resolve().parents[1]

FLICKR_COUNTS = {"1000092795.jpg": 5, "10002456.jpg": 5, "1000268201.jpg": 3, "1000344755.jpg": 2}


def by_image(items):
    return {it.image: it for it in items}


# ------------------------------------------------------------------------------------------ Flickr text

def test_flickr_token_file_groups_captions_by_image():
    items = read_flickr_tokens(FIX / "flickr30k_results.token")
    assert [it.image for it in items] == list(FLICKR_COUNTS)              # file order, blank line skipped
    assert {it.image: len(it.captions) for it in items} == FLICKR_COUNTS
    first = items[0]
    assert first.captions[0] == "Two painters in white hats stand by a green fence looking at a map ."
    assert first.captions[4] == "Two cousins share a quiet afternoon ."
    assert all(isinstance(it, Item) and it.split == hash_split(it.image) for it in items)


def test_flickr30k_results_csv_reads_the_same_as_the_token_file():
    token = read_flickr_tokens(FIX / "flickr30k_results.token")
    csv = read_flickr_tokens(FIX / "flickr30k_results.csv")
    assert csv == token


def test_pipe_csv_without_header_and_the_flickr30k_missing_pipe_row(tmp_path):
    p = tmp_path / "results.csv"
    # the real Flickr30k results.csv has a row with the second '|' missing: '2199200615.jpg| 4 A dog ...'
    p.write_text("a.jpg| 0| A dog runs .\na.jpg| 1| A dog | a ball .\nb.jpg| 4 A cat sits .\n")
    items = read_flickr_tokens(p)
    assert [(it.image, it.captions) for it in items] == [("a.jpg", ["A dog runs .", "A dog | a ball ."]),
                                                          ("b.jpg", ["A cat sits ."])]
    p.write_text("image_name| comment_number| comment\na.jpg| 0| ok .\na.jpg| x| bad .\n")
    with pytest.raises(CaptionFileError, match=r"results\.csv line 3: expected 'image\.jpg\| n\| caption'.*'x'"):
        read_flickr_tokens(p)


def test_kaggle_captions_txt_csv_with_quoted_commas(tmp_path):
    p = tmp_path / "captions.txt"
    p.write_text('image,caption\r\n2900000001_aa11bb22cc.jpg,"A boy, in red, walks ."\r\n'
                 "2900000001_aa11bb22cc.jpg,A boy walks toward a blue tent .\r\n")
    (it,) = read_flickr_tokens(p)
    assert it.image == "2900000001_aa11bb22cc.jpg"
    assert it.captions == ["A boy, in red, walks .", "A boy walks toward a blue tent ."]


def test_token_lines_with_crlf_bom_and_without_caption_numbers(tmp_path):
    p = tmp_path / "x.token"
    p.write_bytes("\ufeffa.jpg#0\tOne .\r\na.jpg\tTwo  \t spaced .\r\n\r\n".encode("utf-8"))
    assert read_flickr_tokens(p)[0].captions == ["One .", "Two spaced ."]
    p.write_text("a.jpg#0\tOne .\na.jpg#zero\tTwo .\n")
    with pytest.raises(CaptionFileError, match=r"x\.token line 2: expected 'image\.jpg#n<TAB>caption'"):
        read_flickr_tokens(p)


def test_hash_split_is_deterministic_and_about_90_5_5():
    names = [f"{i:010d}.jpg" for i in range(4000)]
    splits = [hash_split(n) for n in names]
    assert splits == [hash_split(n) for n in names]
    share = {s: splits.count(s) / len(names) for s in ("train", "val", "test")}
    assert 0.87 < share["train"] < 0.93 and 0.03 < share["val"] < 0.07 and 0.03 < share["test"] < 0.07
    assert set(splits) == {"train", "val", "test"}


def test_hash_split_is_the_same_in_another_process_with_another_hash_seed():
    names = [f"{i}.jpg" for i in range(300)]
    code = ("import json,sys; from models.captioning.formats import hash_split; "
            "print(json.dumps([hash_split(n) for n in json.loads(sys.argv[1])]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(names)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [hash_split(n) for n in names]


def test_flickr8k_split_lists(tmp_path):
    (tmp_path / "train.txt").write_text("1000092795.jpg\n10002456.jpg\n\n")
    (tmp_path / "dev.txt").write_text("1000268201.jpg\n")
    splits = {"train": tmp_path / "train.txt", "dev": tmp_path / "dev.txt"}
    items = read_flickr_tokens(FIX / "flickr30k_results.token", splits=splits)
    assert {it.image: it.split for it in items} == {"1000092795.jpg": "train", "10002456.jpg": "train",
                                                    "1000268201.jpg": "val"}      # unlisted image dropped
    kept = read_flickr_tokens(FIX / "flickr30k_results.token", splits=splits, unlisted="hash")
    assert by_image(kept)["1000344755.jpg"].split == hash_split("1000344755.jpg")
    assert load_captions(FIX / "flickr30k_results.token", splits=splits) == items
    (tmp_path / "test.txt").write_text("1000344755.jpg\n10002456.jpg\n")
    with pytest.raises(CaptionFileError, match=r"test\.txt line 2: 10002456\.jpg is also in the train list "
                                               r"\(train\.txt line 2\)") as e:
        read_flickr_tokens(FIX / "flickr30k_results.token", splits={**splits, "test": tmp_path / "test.txt"})
    assert e.value.line == 2
    with pytest.raises(ValueError, match="split 'holdout'"):
        read_flickr_tokens(FIX / "flickr30k_results.token", splits={"holdout": tmp_path / "test.txt"})


# ------------------------------------------------------------------------------------------------- COCO

def test_coco_val_file_images_captions_and_half_val_half_test_split():
    items = read_coco(FIX / "captions_val2014.json")
    assert [it.image for it in items] == ["COCO_val2014_000000391895.jpg", "COCO_val2014_000000522418.jpg",
                                          "COCO_val2014_000000184613.jpg"]
    caps = by_image(items)
    assert caps["COCO_val2014_000000391895.jpg"].captions == [
        "A woman pushing a pram along a sandy lane.", "A parent with a pram walks past tall dunes.",
        "A walker with a pram by the seaside."]
    assert caps["COCO_val2014_000000522418.jpg"].captions[1] == "A waiter pouring tea on a counter."  # spaces
    assert sum(len(it.captions) for it in items) == 7
    assert [it.split for it in items] == ["val", "val", "test"]
    assert read_coco(FIX / "captions_val2014.json") == items                    # same every run


def test_coco_split_follows_the_file_name(tmp_path):
    text = (FIX / "captions_val2014.json").read_text()
    (tmp_path / "captions_train2014.json").write_text(text)
    assert {it.split for it in read_coco(tmp_path / "captions_train2014.json")} == {"train"}
    (tmp_path / "my_captions.json").write_text(text)
    assert all(it.split == hash_split(it.image) for it in read_coco(tmp_path / "my_captions.json"))


def test_coco_val_split_is_about_half_and_half_and_images_without_captions_are_left_out(tmp_path):
    n = 600
    doc = {"images": [{"id": i, "file_name": f"COCO_val2014_{i:012d}.jpg"} for i in range(n + 1)],
           "annotations": [{"image_id": i, "id": i, "caption": f"picture {i}"} for i in range(n)]}
    p = tmp_path / "captions_val2014.json"
    p.write_text(json.dumps(doc))
    items = read_coco(p)
    assert len(items) == n                                   # the image without annotations is gone
    val = sum(it.split == "val" for it in items)
    assert {it.split for it in items} == {"val", "test"} and 0.4 * n < val < 0.6 * n


def test_coco_annotation_for_an_unknown_image(tmp_path):
    p = tmp_path / "captions_val2014.json"
    p.write_text('{"images": [{"id": 1, "file_name": "a.jpg"}],\n'
                 ' "annotations": [{"image_id": 1, "caption": "ok"},\n'
                 '                 {"image_id": 7, "caption": "lost"}]}')
    with pytest.raises(CaptionFileError, match=r"line 3: annotations\[1\]\['image_id'\]: image_id 7 is not in"):
        read_coco(p)


# --------------------------------------------------------------------------------------------- Karpathy

def test_karpathy_splits_restval_and_tokens_only_sentences():
    items = read_karpathy(FIX / "dataset_flickr8k.json")
    assert [(it.image, it.split, len(it.captions)) for it in items] == [
        ("2900000001_aa11bb22cc.jpg", "train", 3), ("2900000003_ab12cd34ef.jpg", "val", 2),
        ("2900000002_dd33ee44ff.jpg", "test", 1), ("2900000004_fe43dc21ba.jpg", "train", 2)]   # restval -> train
    assert items[0].captions[1] == "A boy walking toward a blue tent ."
    assert items[3].captions[1] == "a man sleeping on a bench"                  # no "raw": tokens joined


def test_karpathy_filepath_and_bad_split(tmp_path):
    doc = {"images": [{"filepath": "val2014", "filename": "COCO_val2014_000000391895.jpg", "split": "val",
                       "sentences": [{"raw": "A bike.", "tokens": ["a", "bike"]}]}]}
    p = tmp_path / "dataset_coco.json"
    p.write_text(json.dumps(doc, indent=1))
    (it,) = read_karpathy(p)
    assert it.image == "val2014/COCO_val2014_000000391895.jpg" and it.split == "val"
    (tmp_path / "val2014").mkdir()
    (tmp_path / "val2014" / "COCO_val2014_000000391895.jpg").write_bytes((IMAGES / "1000092795.jpg").read_bytes())
    assert attach_images([it], tmp_path) == ([it], [])
    doc["images"][0]["split"] = "holdout"
    p.write_text(json.dumps(doc, indent=1))
    with pytest.raises(CaptionFileError, match=r"dataset_coco\.json line 6: images\[0\]\['split'\]") as e:
        read_karpathy(p)
    assert e.value.line == 6


# ------------------------------------------------------------------------------------ detection, images

@pytest.mark.parametrize("name, kind", [("flickr30k_results.token", "flickr"), ("flickr30k_results.csv", "flickr"),
                                        ("captions_val2014.json", "coco"), ("dataset_flickr8k.json", "karpathy")])
def test_load_captions_detects_the_format_from_the_content(tmp_path, name, kind):
    assert detect_format(FIX / name) == kind
    reader = {"flickr": read_flickr_tokens, "coco": read_coco, "karpathy": read_karpathy}[kind]
    assert load_captions(FIX / name) == reader(FIX / name)
    renamed = tmp_path / ("captions_val2014.txt" if kind == "coco" else "data.txt")   # the name does not matter
    renamed.write_bytes((FIX / name).read_bytes())
    assert detect_format(renamed) == kind


def test_load_captions_rejects_other_json_and_options_for_json(tmp_path):
    p = tmp_path / "other.json"
    p.write_text('{"images": [{"file": "a.jpg"}]}')
    with pytest.raises(CaptionFileError, match=r"other\.json line 1: JSON, but neither COCO"):
        load_captions(p)
    with pytest.raises(TypeError):
        load_captions(FIX / "dataset_flickr8k.json", splits={"train": p})
    p.write_text('{"annotations": []}')
    with pytest.raises(CaptionFileError, match=r"other\.json line 1: images: missing"):
        load_captions(p)
    with pytest.raises(CaptionFileError, match="not a COCO captions file"):
        read_coco(FIX / "dataset_flickr8k.json")
    with pytest.raises(CaptionFileError, match=r"line 1: not a Karpathy split file.*looks like COCO"):
        read_karpathy(FIX / "captions_val2014.json")


@pytest.mark.parametrize("name, kept, missing", [
    ("flickr30k_results.token", ["1000092795.jpg", "10002456.jpg"], ["1000268201.jpg", "1000344755.jpg"]),
    ("captions_val2014.json", ["COCO_val2014_000000391895.jpg"],
     ["COCO_val2014_000000522418.jpg", "COCO_val2014_000000184613.jpg"]),
    ("dataset_flickr8k.json", ["2900000001_aa11bb22cc.jpg", "2900000002_dd33ee44ff.jpg"],
     ["2900000003_ab12cd34ef.jpg", "2900000004_fe43dc21ba.jpg"]),
])
def test_attach_images_keeps_items_with_files_and_lists_the_missing(name, kept, missing):
    items = load_captions(FIX / name)
    k, m = attach_images(items, IMAGES)
    assert [it.image for it in k] == kept and m == missing
    assert all(it in items for it in k)


def test_attach_images_edge_cases(tmp_path):
    items = [Item("1000092795.jpg", ["a"], "train"), Item("gone.jpg", ["b"], "val"), Item("gone.jpg", ["c"], "val"),
             Item("../images/1000092795.jpg", ["d"], "test"), Item(str(IMAGES / "10002456.jpg"), ["e"], "test")]
    kept, missing = attach_images(items, IMAGES)
    assert kept == items[:1]
    assert missing == ["gone.jpg", "../images/1000092795.jpg", str(IMAGES / "10002456.jpg")]   # each once
    assert all(Path(IMAGES / n).stat().st_size < 2000 for n in os.listdir(IMAGES))
    with pytest.raises(NotADirectoryError, match="does not exist"):
        attach_images(items, tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------- malformed files

@pytest.mark.parametrize("name, line, pattern", [
    ("bad_token.token", 3, r"^bad_token\.token line 3: expected 'image\.jpg#n<TAB>caption'$"),
    ("bad_coco.json", 38, r"^bad_coco\.json line 38: annotations\[2\]: missing key 'caption' \(record id 12\)$"),
    ("broken.json", 36, r"^broken\.json line 36 column 18: not valid JSON .*cut off"),
    ("not_utf8.token", 1, r"^not_utf8\.token line 1: not UTF-8 text: byte 31 is 0xe9"),
])
def test_malformed_fixtures_name_the_file_and_the_line(name, line, pattern):
    with pytest.raises(CaptionFileError, match=pattern) as e:
        load_captions(FIX / name)
    assert e.value.line == line and e.value.path == str(FIX / name)
    assert isinstance(e.value, ValueError)


def test_bad_coco_line_is_the_offending_record():
    lines = (FIX / "bad_coco.json").read_text().split("\n")
    assert lines[37].strip() == "{" and lines[39].strip() == '"id": 12'


def test_not_utf8_later_line(tmp_path):
    p = tmp_path / "latin1.token"
    p.write_bytes(b"a.jpg#0\tfine .\n\nb.jpg#0\tna\xefve .\n")
    with pytest.raises(CaptionFileError, match=r"latin1\.token line 3: not UTF-8 text: byte 26 is 0xef"):
        load_captions(p)


def test_empty_missing_and_captionless_files(tmp_path):
    (tmp_path / "empty.token").write_bytes(b"")
    (tmp_path / "blank.token").write_text("\n  \n\n")
    (tmp_path / "nocaps.token").write_text("a.jpg#0\t  \nb.jpg#0\t\n")
    (tmp_path / "nocaps.json").write_text('{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": []}')
    for name, msg in (("empty.token", "empty"), ("blank.token", "empty"), ("nocaps.token", "no captions"),
                      ("nocaps.json", "no captions"), ("absent.token", "no such file")):
        with pytest.raises(CaptionFileError, match=rf"^{name.replace('.', '[.]')}: .*{msg}"):
            load_captions(tmp_path / name)
    with pytest.raises(CaptionFileError, match="is a folder"):
        load_captions(tmp_path)
    (tmp_path / "notes.txt").write_text("\nThese are my notes\n")
    with pytest.raises(CaptionFileError, match=r"notes\.txt line 2: expected 'image\.jpg#n<TAB>caption'"):
        load_captions(tmp_path / "notes.txt")


def test_file_too_big(tmp_path, monkeypatch):
    p = tmp_path / "huge.token"
    p.write_text("a.jpg#0\t" + "x" * 2000 + "\n")
    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 1000)
    with pytest.raises(CaptionFileError, match=r"^huge\.token: .*too big for a captions file"):
        load_captions(p)


def test_long_captions_are_truncated_not_rejected(tmp_path):
    p = tmp_path / "long.token"
    p.write_text("a.jpg#0\t" + "word " * 500 + "\n")
    (it,) = load_captions(p)
    assert len(it.captions[0]) <= 1000 and it.captions[0].startswith("word word")
    q = tmp_path / "captions_train2014.json"
    q.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.jpg"}],
                             "annotations": [{"image_id": 1, "caption": "y" * 5000}]}))
    assert load_captions(q)[0].captions == ["y" * 1000]


# ------------------------------------------------------------------------------------------ command line

def test_cli_counts_per_split_length_and_missing_images(capsys):
    assert main([str(FIX / "dataset_flickr8k.json"), "--images", str(IMAGES)]) == 0
    out = capsys.readouterr().out
    assert "Karpathy split, 4 images, 8 captions" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()[:1] in
            (["train"], ["val"], ["test"])}
    assert rows == {"train": ["2", "5", "1"], "val": ["1", "2", "0"], "test": ["1", "1", "1"]}
    assert "average caption length: 10.1 words" in out
    assert "2 images listed in the captions file are not in the folder" in out
    assert "2900000003_ab12cd34ef.jpg" in out


def test_cli_without_images_and_with_split_lists(tmp_path, capsys):
    assert main([str(FIX / "captions_val2014.json")]) == 0
    out = capsys.readouterr().out
    assert "COCO captions, 3 images, 7 captions" in out and "not in the folder" not in out
    (tmp_path / "t.txt").write_text("1000092795.jpg\n")
    assert main([str(FIX / "flickr30k_results.token"), "--test-list", str(tmp_path / "t.txt")]) == 0
    out = capsys.readouterr().out
    assert "1 images, 5 captions" in out and any(line.split() == ["test", "1", "5"] for line in out.splitlines())


def test_cli_reports_errors_with_exit_code_2(capsys):
    assert main([str(FIX / "bad_token.token")]) == 2
    assert "error: bad_token.token line 3: expected" in capsys.readouterr().err
    assert main([str(FIX / "flickr30k_results.token"), "--images", str(FIX / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_as_a_module():
    r = subprocess.run([sys.executable, "-m", "models.captioning.formats", str(FIX / "flickr30k_results.csv"),
                        "--images", str(IMAGES)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Flickr captions, 4 images, 15 captions" in r.stdout
    assert "2 images listed in the captions file are not in the folder" in r.stdout
