"""The emoji dataset (issue 20): the shipped .npz, its loader and build script, the emoji feature network that
evaluate() picks for emoji models, and the memorisation check (near copies of training images)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import generators
from generators.base import Family, make_generator
from generators.data import DATASETS, IMAGE_SETS, dataset_kind, load_dataset
from generators.datasets.build_emoji import build, emoji_image
from generators.datasets.emoji import EMOJI_GROUPS, EMOJI_NPZ, emoji_info, emoji_names, load_emoji
from generators.metrics import (FEATURE_NETWORKS, MEMORISATION_LESSON, copy_threshold, evaluate, feature_dataset,
                                load_classifier, near_copies)


# ----------------------------------------------------------------------------- the data
def test_loader_shapes_dtypes_and_range():
    for split in ("train", "heldout", "all"):
        d = load_emoji(split)
        assert d.name == "emoji" and d.kind == "image" and d.num_classes == 9
        assert d.x.dtype == torch.float32 and d.x.shape[1:] == (3, 32, 32)
        assert d.y.dtype == torch.int64 and d.y.shape == (len(d.x),)
        assert float(d.x.min()) >= 0.0 and float(d.x.max()) <= 1.0
        assert float(d.x.max()) == 1.0 and float(d.x.min()) < 0.1        # white backgrounds, dark ink somewhere
    assert len(EMOJI_GROUPS) == 9 and EMOJI_GROUPS[0] == "Smileys & Emotion" and EMOJI_GROUPS[-1] == "Flags"


def test_split_rule_index_mod_10_is_held_out():
    a, tr, ho = load_emoji("all"), load_emoji("train"), load_emoji("heldout")
    assert len(tr) + len(ho) == len(a) and len(ho) == (len(a) + 9) // 10
    assert torch.equal(ho.x, a.x[::10]) and torch.equal(ho.y, a.y[::10])
    keep = torch.arange(len(a)) % 10 != 0
    assert torch.equal(tr.x, a.x[keep])
    assert emoji_names("heldout") == emoji_names("all")[::10] and len(emoji_names("train")) == len(tr)


def test_all_nine_groups_in_both_splits_and_no_duplicate_images():
    for split in ("train", "heldout"):
        counts = torch.bincount(load_emoji(split).y, minlength=9)
        assert len(counts) == 9 and bool((counts > 0).all()), (split, counts.tolist())
    x = (load_emoji("all").x * 255).round().to(torch.uint8).flatten(1).numpy()
    assert len(np.unique(x, axis=0)) == len(x)              # identical pictures (skin tones, families) dropped


def test_npz_loads_offline_without_pickle_and_credits_twemoji():
    with np.load(EMOJI_NPZ, allow_pickle=False) as z:
        assert {"x", "y", "groups", "names", "codepoints", "info"} <= set(z.files)
        assert z["x"].dtype == np.uint8 and z["x"].shape[1:] == (32, 32, 3) and z["y"].dtype == np.int64
        assert tuple(z["groups"].tolist()) == EMOJI_GROUPS
        assert len(z["names"]) == len(z["codepoints"]) == len(z["x"])
    info = emoji_info()
    assert info["package"] == "emoji-datasource-twitter" and info["graphics_license"] == "CC-BY-4.0"
    assert "creativecommons.org/licenses/by/4.0" in info["graphics_license_url"] and "Twemoji" in info["attribution"]
    assert sum(info["per_group"].values()) == info["images"] == len(load_emoji("all"))


def test_emoji_is_an_image_set_for_every_front_end():
    assert "emoji" in IMAGE_SETS and "emoji" in DATASETS and dataset_kind("emoji") == "image"
    d = load_dataset("emoji", "heldout")
    assert torch.equal(d.x, load_emoji("heldout").x)


def _png(rgba: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return buf.getvalue()


def test_build_composites_on_white_skips_components_and_drops_duplicates(tmp_path):
    """The build script on a package the test writes: 4 entries, one skin-tone swatch, one repeated picture."""
    pkg = tmp_path / "package"
    (pkg / "img" / "twitter" / "64").mkdir(parents=True)
    red = np.zeros((64, 64, 4), np.uint8)
    red[16:48, 16:48] = (255, 0, 0, 255)                     # a red square on a transparent background
    blue = red.copy()
    blue[16:48, 16:48] = (0, 0, 255, 255)
    entries = [("b.png", "Flags", 3, blue), ("a.png", "Smileys & Emotion", 1, red),
               ("c.png", "Component", 2, red), ("d.png", "Symbols", 4, red)]   # d: the same picture as a
    for fname, cat, order, img in entries:
        (pkg / "img" / "twitter" / "64" / fname).write_bytes(_png(img))
    (pkg / "package.json").write_text(json.dumps({"name": "emoji-datasource-twitter", "version": "16.0.0",
                                                  "license": "MIT"}))
    (pkg / "emoji.json").write_text(json.dumps([{"name": f.upper(), "short_name": f[0], "unified": f[0].upper(),
                                                 "image": f, "category": c, "sort_order": o}
                                                for f, c, o, _ in entries]))
    out = tmp_path / "emoji.npz"
    info = build(tmp_path, out)
    assert info["skipped_categories"] == {"Component": 1} and [tuple(d) for d in info["duplicates"]] == [("d", "a")]
    with np.load(out, allow_pickle=False) as z:
        assert z["codepoints"].tolist() == ["A", "B"]                 # sort_order, not file order
        assert z["y"].tolist() == [EMOJI_GROUPS.index("Smileys & Emotion"), EMOJI_GROUPS.index("Flags")]
        x = z["x"]
    assert x.shape == (2, 32, 32, 3) and (x[:, 0, 0] == 255).all()        # transparent → white
    assert tuple(x[0, 16, 16]) == (255, 0, 0) and tuple(x[1, 16, 16]) == (0, 0, 255)
    assert (emoji_image(_png(red)) == x[0]).all()


# ----------------------------------------------------------------------------- the feature network
def test_emoji_feature_network_is_sized_by_its_config():
    clf = load_classifier("emoji-features")
    assert clf.image_shape == (3, 32, 32) and clf.config.num_classes == 9
    assert load_classifier("mnist-features").image_shape == (1, 28, 28)
    held = load_emoji("heldout")
    f, p = clf.embed(held.x)
    assert f.shape == (len(held), clf.config.features) and p.shape == (len(held), 9)
    acc = (p.argmax(1) == held.y).float().mean().item()
    meta = json.loads((EMOJI_NPZ.parents[2] / "checkpoints" / "emoji-features.json").read_text())
    assert meta["dataset"] == "emoji" and acc == pytest.approx(meta["metrics"]["heldout_accuracy"], abs=1e-6)
    assert acc > 3 / 9                        # well above the largest group's share (19%)
    with pytest.raises(ValueError, match="3, 32, 32"):
        clf.embed(torch.rand(4, 1, 28, 28, generator=make_generator(0)))          # digits' shape


def tiny_emoji_gan():
    return generators.build("gan", "emoji", channels=3, image_size=32, num_classes=9, latent_dim=8, ngf=8, ndf=8,
                            seed=0)


def test_evaluate_picks_the_emoji_feature_network_for_an_emoji_model():
    m = tiny_emoji_gan().eval()
    r = evaluate(m, n=100, seed=0)
    assert r["feature_network"] == "emoji-features" and r["n_real"] == len(load_emoji("heldout"))
    assert len(r["class_histogram"]) == 9 and 0 <= r["class_accuracy"] <= 1
    assert r["fid"] > r["fid_real"] > 0           # an untrained GAN draws noise, far from the floor
    assert r["near_copies"] == 0.0 and r["near_copy_threshold"] == copy_threshold("emoji")
    m.meta = {"dataset": "emoji"}
    assert feature_dataset(m, (3, 32, 32)) == "emoji"
    m.meta = {"dataset": "mnist"}                 # a checkpoint that says digits but draws emoji-sized images
    with pytest.raises(ValueError, match="mnist"):
        evaluate(m, n=50, seed=0)
    assert feature_dataset(object(), (1, 28, 28)) == "mnist" and set(FEATURE_NETWORKS) == {"mnist", "emoji"}
    with pytest.raises(ValueError, match="no feature network"):
        feature_dataset(object(), (3, 28, 28))


# ----------------------------------------------------------------------------- memorisation
class Replay(Family):
    """A "model" that memorised its images: every sample is one of them, drawn with the generator."""

    name = "replay"
    data_kind = "image"

    def __init__(self, images: torch.Tensor):
        super().__init__(config=None)
        self.images = images

    def sample(self, n, *, generator, labels=None, **options):
        return self.images[torch.randint(0, len(self.images), (n,), generator=generator)]


@pytest.mark.parametrize("dataset", ["emoji", "mnist"])
def test_near_copies_flags_a_model_that_replays_training_images(dataset):
    train, held = load_dataset(dataset, "train"), load_dataset(dataset, "heldout")
    copier = evaluate(Replay(train.x), n=200, seed=0)
    assert copier["near_copies"] > 0.99 and copier["nearest_train_distance_median"] < 1e-3
    assert copier["feature_network"] == FEATURE_NETWORKS[dataset]
    honest = evaluate(Replay(held.x), n=200, seed=0)          # new images from the data's own distribution
    assert honest["near_copies"] <= 0.05
    # a copy with a little noise is still a copy; a shifted one is another picture in pixel space
    noisy = (train.x[:100] + 0.01 * torch.randn(train.x[:100].shape, generator=make_generator(0))).clamp(0, 1)
    assert near_copies(noisy, dataset)["near_copies"] > 0.99
    assert copier["near_copy_percentile"] == 1.0 and 0 < copier["near_copy_threshold"] < 0.2


def test_memorisation_lesson_is_short_english_prose():
    n_sentences = MEMORISATION_LESSON.count(". ") + 1
    assert 2 <= n_sentences <= 4 and "memoris" in MEMORISATION_LESSON and MEMORISATION_LESSON.isascii()
