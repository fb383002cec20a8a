"""The pretrained ImageNet classifier (EfficientNet-Lite0) and its demo."""
import json

import numpy as np
import pytest
import torch

from models.vision import imagenet
from models.data.images import sample

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    return imagenet.load_classifier()


def test_labels():
    names = imagenet.labels()
    assert len(names) == 1000 and names[285] == "Egyptian cat" and names[967] == "espresso"


def test_centre_crop_shape_and_centre():
    a = np.zeros((300, 500, 3), np.uint8)
    a[:, 240:260] = 255  # a white stripe at the horizontal centre survives the crop, centred
    c = imagenet.centre_crop(a)
    assert c.shape == (224, 224, 3) and c[:, 112].mean() > 200 and c[:, 5].mean() < 10
    assert imagenet.to_tensor([c, c]).shape == (2, 3, 224, 224)


def test_known_photos_top1(model):
    top, ms = imagenet.classify(model, sample("cat (Chelsea)"), 5)
    assert top[0][0] in ("Egyptian cat", "tabby, tabby cat", "tiger cat") and ms > 0
    assert sum(p for _, p in top) <= 1.0 + 1e-6 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    top, _ = imagenet.classify(model, sample("coffee"), 5)
    assert top[0][0] == "espresso" and top[0][1] > 0.5


def test_time_per_image(model):
    assert 0 < imagenet.time_per_image(model, torch.device("cpu"), n=2) < 5000


APP = "from demos.imagenet import render\nrender(key_prefix='inet')"


def test_demo_classifies_and_times():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(APP, default_timeout=60).run()
    assert not at.exception
    title = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert "cat" in title and "EfficientNet-Lite0" in at.caption[0].value
    at.selectbox(key="inet_sample").set_value("coffee").run()
    assert "espresso" in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    at.select_slider(key="inet_batch").set_value(8).run()
    at.button(key="inet_action").click().run()
    assert "ms / image" in at.metric[0].value and "batch of 8" in at.metric[0].proto.help
    at.radio(key="inet_source").set_value("Upload").run()
    at.file_uploader(key="inet_upload").set_value(("x.jpg", b"\xff\xd8\xff\xe0 corrupt", "image/jpeg")).run()
    assert at.error and not at.exception and not at.get("plotly_chart")
