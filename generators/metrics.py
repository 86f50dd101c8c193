"""Quality measures: feature networks for MNIST and emoji (FID, precision/recall, class accuracy), a
memorisation check (near copies of training images), 2D mode coverage, MMD.

Inception weights cannot be downloaded here; for small images a classifier's penultimate features are the
standard substitute: `mnist-features` (digits) and `emoji-features` (the nine emoji groups), picked by the model's
dataset. Each classifier trains on the non-held-out images only; FID compares to the held-out ones. Digits also
have a second opinion, `mnist-features-b`: another architecture from another seed (`fid_b`), so that a model tuned
against the first network's FID is checked in a space it was never tuned in. `speckle` counts isolated bright
background pixels, which FID barely sees.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .base import (CHECKPOINT_DIR, Family, checkpoint_paths, config_from_json, load_state_into, make_generator,
                   read_meta, read_safetensors)
from .data import TOY_SETS, load_dataset, load_toy, toy_modes
from .errors import CheckpointError, EngineError

FEATURES_CHECKPOINT = "mnist-features"
# an image dataset → its feature network (a shipped checkpoint) and the dataset whose splits it measures against
FEATURE_NETWORKS = {"mnist": "mnist-features", "emoji": "emoji-features"}
FEATURE_DATA = {"mnist": "mnist", "mnist-full": "mnist", "emoji": "emoji"}
# a second, independent feature network (another architecture, another seed) for datasets that have one
SECOND_NETWORKS = {"mnist": "mnist-features-b"}


@dataclass(frozen=True)
class ClassifierConfig:
    width: int = 32
    features: int = 128
    num_classes: int = 10
    channels: int = 1
    image_size: int = 28         # a multiple of 4 (two 2× poolings)
    arch: str = "conv"           # a key of BODIES: "conv" (conv-conv-pool ×2, ReLU) | "strided" | "mlp"

    def __post_init__(self):
        if self.image_size % 4 or not 4 <= self.image_size <= 256:
            raise EngineError("image_size {size} must be a multiple of 4 from 4 to 256", size=self.image_size)
        if self.arch not in BODIES:
            raise EngineError("arch must be one of {options}, not {value!r}", options=", ".join(BODIES),
                              value=self.arch)
        if not 1 <= self.channels <= 4 or self.num_classes < 1 or self.width < 1 or self.features < 1:
            raise EngineError("channels must be 1–4; width, features and num_classes at least 1")


class _Dropout(nn.Dropout):
    """nn.Dropout whose mask comes from `self.generator` (set while training), never the global RNG."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.generator is None:
            raise EngineError("set .generator before training (dropout draws from it)")
        keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.p
        return x * keep / (1 - self.p)


def _conv_body(c: ClassifierConfig) -> nn.Sequential:
    """conv-conv-maxpool ×2 (3×3, ReLU), dropout, linear → `features` (mnist-features, emoji-features)."""
    w, s = c.width, c.image_size // 4
    return nn.Sequential(
        nn.Conv2d(c.channels, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        # state size. w × S/2 × S/2 (14 × 14 for digits)
        nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        # state size. 2w × S/4 × S/4 (7 × 7 for digits)
        nn.Flatten(), _Dropout(0.3), nn.Linear(2 * w * s * s, c.features), nn.ReLU())


def _strided_body(c: ClassifierConfig) -> nn.Sequential:
    """Another design for a second opinion: a 5×5 stem, then strided convs instead of pooling, GroupNorm and
    SiLU instead of plain ReLU, dropout, linear → `features`."""
    w, s = c.width, c.image_size // 4
    gn = lambda ch: nn.GroupNorm(4, ch)  # noqa: E731
    return nn.Sequential(
        nn.Conv2d(c.channels, w, 5, padding=2), gn(w), nn.SiLU(),
        nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), gn(2 * w), nn.SiLU(),
        # state size. 2w × S/2 × S/2 (14 × 14 for digits)
        nn.Conv2d(2 * w, 2 * w, 4, stride=2, padding=1), gn(2 * w), nn.SiLU(),
        # state size. 2w × S/4 × S/4 (7 × 7 for digits)
        nn.Flatten(), _Dropout(0.3), nn.Linear(2 * w * s * s, c.features), nn.SiLU())


def _mlp_body(c: ClassifierConfig) -> nn.Sequential:
    """No convolutions at all: every pixel has its own weights (so a stray dot anywhere moves the features)."""
    d, h = c.channels * c.image_size ** 2, 16 * c.width
    return nn.Sequential(nn.Flatten(), nn.Linear(d, h), nn.SiLU(), _Dropout(0.3), nn.Linear(h, h), nn.SiLU(),
                         _Dropout(0.3), nn.Linear(h, c.features), nn.SiLU())


BODIES = {"conv": _conv_body, "strided": _strided_body, "mlp": _mlp_body}    # ClassifierConfig.arch → its feature extractor


class FeatureClassifier(nn.Module):
    """A `features`-d feature extractor (config.arch: BODIES) → `num_classes` logits, for C×S×S images."""

    name = "classifier"

    def __init__(self, config: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.config = c = config
        self.body = BODIES[c.arch](c)
        self.head = nn.Sequential(_Dropout(0.3), nn.Linear(c.features, c.num_classes))

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.config.channels, self.config.image_size, self.config.image_size

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """Images in [0,1] (N, C, S, S) → (features (N, features), class probabilities (N, num_classes))."""
        if x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            raise EngineError("this feature network reads images of shape {want}, got {got}", want=self.image_shape,
                              got=tuple(x.shape[1:]))
        self.eval()
        feats, probs = [], []
        for i in range(0, len(x), batch):
            f = self.body(x[i:i + batch].to(next(self.parameters()).device).float())
            feats.append(f.cpu())
            probs.append(F.softmax(self.head(f), 1).cpu())
        return torch.cat(feats), torch.cat(probs)


MnistClassifier = FeatureClassifier      # its name before the emoji network (issue 20)

# how each feature network trains (`python -m generators.metrics --train-features --dataset D`)
# (emoji: 1,685 training images; 64 features, not 128, so that FID's covariances from the 188 held-out emoji
# are less rank-starved; flips and ±3-pixel shifts because an emoji's group does not change with either)
FEATURE_RECIPES = {"mnist": dict(steps=3000, shift=2, flip=False, width=32, features=128),
                   "emoji": dict(steps=1500, shift=3, flip=True, width=16, features=64)}
# the second network (`--second`): another architecture and another seed, the same training split
SECOND_RECIPES = {"mnist": dict(steps=3000, shift=2, flip=False, width=16, features=128, arch="strided", seed=1)}


def train_classifier(steps: int = 3000, batch_size: int = 128, seed: int = 0, lr: float = 1e-3,
                     dataset: str = "mnist", shift: int = 2, flip: bool = False, width: int = 32,
                     features: int = 128, arch: str = "conv"):
    """Train on the dataset's non-held-out images with ±`shift`-pixel shifts (and random left-right flips with
    `flip`); yields (step, loss) and returns the model. All randomness (weights, batches, dropout) from `seed`."""
    g = torch.Generator().manual_seed(seed)
    d = load_dataset(dataset, "train")
    _, c, h, w = d.x.shape
    if h != w or not d.num_classes:
        raise EngineError("{name!r}: the feature network needs square, labelled images", name=dataset)
    model = FeatureClassifier(ClassifierConfig(width=width, features=features, num_classes=d.num_classes,
                                               channels=c, image_size=h, arch=arch))
    Family.init_weights(model, g)            # PyTorch's default schemes, drawn from g
    for m in model.modules():
        if isinstance(m, _Dropout):
            m.generator = g
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr * 3, total_steps=steps)
    model.train()
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(d), (batch_size,), generator=g)
        x, y = d.x[idx], d.y[idx]
        dx, dy = torch.randint(-shift, shift + 1, (2,), generator=g).tolist()
        x = torch.roll(x, (dx, dy), (2, 3))
        if flip:
            mirrored = torch.rand(batch_size, generator=g) < 0.5
            x = torch.where(mirrored[:, None, None, None], x.flip(3), x)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        yield step, loss.item()
    for m in model.modules():
        if isinstance(m, _Dropout):
            m.generator = None
    model.eval()
    return model


_CLASSIFIER: dict[str, FeatureClassifier] = {}


def load_classifier(name_or_path: str = FEATURES_CHECKPOINT) -> FeatureClassifier:
    """The shipped feature network (cached; read-only)."""
    if name_or_path not in _CLASSIFIER:
        base = CHECKPOINT_DIR / name_or_path if "/" not in str(name_or_path) else name_or_path
        wpath, cpath = checkpoint_paths(base)
        meta = read_meta(cpath)
        if meta.get("family") != "classifier":
            raise CheckpointError("{name} is not a classifier checkpoint", name=cpath.name)
        model = FeatureClassifier(config_from_json(ClassifierConfig, meta["config"]))
        load_state_into(model, read_safetensors(wpath), wpath.name)
        _CLASSIFIER[name_or_path] = model.eval()
    return _CLASSIFIER[name_or_path]


# ----------------------------------------------------------------------------- measures
def frechet_distance(f1: torch.Tensor, f2: torch.Tensor) -> float:
    """FID between two feature sets: ‖μ1−μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½)."""
    a, b = f1.double().numpy(), f2.double().numpy()
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr((Σ1Σ2)^½) = Σ √λ of Σ1^½ Σ2 Σ1^½ (symmetric PSD, so eigh is stable)
    w, v = np.linalg.eigh(s1)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    lam = np.linalg.eigvalsh(r1 @ s2 @ r1)
    tr_sqrt = np.sqrt(np.clip(lam, 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Kynkäänniemi et al. 2019: share of fake inside the real k-NN manifold, and vice versa."""
    def radii(x):
        d = torch.cdist(x, x)
        return d.kthvalue(k + 1, dim=1).values          # +1: the point itself is at distance 0

    real, fake = real.float(), fake.float()
    r_real, r_fake = radii(real), radii(fake)
    d_fr = torch.cdist(fake, real)                       # (F, R)
    precision = (d_fr <= r_real[None]).any(1).float().mean().item()
    recall = (d_fr.T <= r_fake[None]).any(1).float().mean().item()
    return precision, recall


def inception_score(probs: torch.Tensor) -> float:
    """exp E[KL(p(y|x) ‖ p(y))] with the digit classifier in place of Inception."""
    p = probs.double().clamp_min(1e-12)
    py = p.mean(0, keepdim=True)
    return float(torch.exp((p * (p.log() - py.log())).sum(1).mean()))


def mmd_rbf(x: torch.Tensor, y: torch.Tensor, bandwidths=(0.1, 0.5, 1.0, 2.0)) -> float:
    """Squared MMD with a sum of RBF kernels (biased estimator)."""
    x, y = x.double(), y.double()
    xx, yy, xy = torch.cdist(x, x) ** 2, torch.cdist(y, y) ** 2, torch.cdist(x, y) ** 2
    k = lambda d: sum(torch.exp(-d / (2 * h * h)) for h in bandwidths)  # noqa: E731
    return float(k(xx).mean() + k(yy).mean() - 2 * k(xy).mean())


def mode_stats(points: torch.Tensor, modes: torch.Tensor, std: float) -> dict:
    """8/25-Gaussians measures: a sample is high-quality within 3σ of a mode; a mode is covered when
    it holds ≥ 1% of the samples (Srivastava et al. 2017, VEEGAN)."""
    d = torch.cdist(points.float(), modes.float())
    dist, which = d.min(1)
    hq = dist <= 3 * std
    counts = torch.bincount(which[hq], minlength=len(modes))
    covered = int((counts >= max(1, 0.01 * len(points))).sum())
    return {"modes_covered": covered, "modes_total": len(modes), "high_quality": hq.float().mean().item(),
            "per_mode": counts.tolist()}


TOY_STD = {"8gaussians": 0.02, "25gaussians": 0.05}


@torch.no_grad()
def sample_in_batches(model, n: int, seed: int, batch: int = 500, **kw) -> torch.Tensor:
    g = make_generator(seed, model.device)
    outs = []
    for i in range(0, n, batch):
        m = min(batch, n - i)
        labels = kw.pop("labels_all")[i:i + m] if "labels_all" in kw else None
        outs.append(model.sample(m, generator=g, labels=labels, **kw).cpu())
    return torch.cat(outs)


MEMORISATION_LESSON = (
    "A generative model should learn the distribution its training images come from, not the images themselves. "
    "A model that memorises can score well on FID and precision while only replaying its training set: it makes "
    "nothing new and can leak the data it was trained on (a face, a signature, a private photo). So we also count "
    "near copies: samples closer to some training image than almost any genuinely new image (a held-out one) is.")
COPY_PERCENTILE = 1.0    # near copy: closer than all but this % of the held-out images are to the training set


def feature_dataset(model, image_shape: tuple[int, ...]) -> str:
    """The dataset whose feature network measures `model`: the one its checkpoint names (mnist, mnist-full →
    mnist; emoji), else (a user's images, a model never saved) the one whose images have `image_shape`."""
    name = str((getattr(model, "meta", None) or {}).get("dataset", ""))
    if name in FEATURE_DATA:
        ds = FEATURE_DATA[name]
        if load_classifier(FEATURE_NETWORKS[ds]).image_shape != tuple(image_shape):
            raise EngineError("a model of the {name!r} dataset must draw images of shape {want}, this one draws {got}",
                              name=name, want=load_classifier(FEATURE_NETWORKS[ds]).image_shape, got=tuple(image_shape))
        return ds
    for ds, net in FEATURE_NETWORKS.items():
        if load_classifier(net).image_shape == tuple(image_shape):
            return ds
    shapes = ", ".join(f"{net} reads {'×'.join(map(str, load_classifier(net).image_shape))}"
                       for net in FEATURE_NETWORKS.values())
    raise EngineError("no feature network for images of shape {shape} ({networks})",
                      shape="×".join(map(str, image_shape)), networks=shapes)


@functools.lru_cache(maxsize=8)
def _reference(dataset: str, network: str | None = None):
    """(feature network, held-out split, its features, its class probabilities) for a FEATURE_NETWORKS dataset,
    in its network's space or in `network`'s (a SECOND_NETWORKS one)."""
    clf = load_classifier(network or FEATURE_NETWORKS[dataset])
    real = load_dataset(dataset, "heldout")
    real_f, real_p = clf.embed(real.x)
    return clf, real, real_f, real_p


@functools.lru_cache(maxsize=16)
def real_fid(n: int = 1000, seed: int = 0, dataset: str = "mnist", network: str | None = None) -> float:
    """The FID a perfect model would get at this sample count: n training images of `dataset` (drawn with `seed`,
    never the held-out ones) against the held-out images, in the same feature space (the dataset's network, or
    `network`). FID is biased upward at small n, so a model's FID means something only beside this number at the
    same n. Cached: every image model evaluated at the same n (the Compare table's rows, and its floor row) shares
    one computation."""
    clf, _, real_f, _ = _reference(dataset, network)
    train = load_dataset(dataset, "train")
    idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:n]
    return frechet_distance(clf.embed(train.x[idx])[0], real_f)


def second_network(dataset: str) -> str | None:
    """The dataset's second feature network (SECOND_NETWORKS) where its checkpoint is shipped, else None."""
    name = SECOND_NETWORKS.get(dataset)
    return name if name and checkpoint_paths(CHECKPOINT_DIR / name)[0].exists() else None


# ----------------------------------------------------------------------------- clean backgrounds
SPECKLE_DATA = ("mnist",)      # datasets drawn as light strokes on an exactly black background
SPECKLE_BRIGHT, SPECKLE_INK, SPECKLE_RADIUS = 0.1, 0.5, 2


def speckle(images: torch.Tensor, bright: float = SPECKLE_BRIGHT, ink: float = SPECKLE_INK,
            radius: int = SPECKLE_RADIUS) -> torch.Tensor:
    """Isolated bright background pixels per image, (N,) int64. A pixel of `images` (N, C, H, W) in [0, 1]
    (its brightest channel) is speckle when it is brighter than `bright` and no pixel within `radius` (the
    (2r+1)² square around it, itself included) is brighter than `ink`: a visible dot more than `radius` pixels
    from any stroke. A stroke's own soft edge lies next to its ink, so it never counts."""
    if images.dim() != 4:
        raise EngineError("images must be (N, C, H, W), got shape {shape}", shape=tuple(images.shape))
    x = images.float().amax(1, keepdim=True)                              # (N, 1, H, W)
    near_ink = F.max_pool2d(x, 2 * radius + 1, stride=1, padding=radius) > ink
    return ((x > bright) & ~near_ink).flatten(1).sum(1)


def speckle_share(images: torch.Tensor) -> float:
    """The share of `images` with at least one speckle pixel (`speckle`)."""
    return (speckle(images) > 0).float().mean().item()


def nearest_distances(x: torch.Tensor, ref: torch.Tensor, batch: int = 250) -> torch.Tensor:
    """RMS pixel distance ‖x − r‖₂ / √D from each image in x (N, C, H, W) to its nearest image in ref (M, C, H, W):
    0 for an exact copy, 1 for white against black. (N,)"""
    x, ref = x.flatten(1).float(), ref.flatten(1).float()
    if x.shape[1] != ref.shape[1]:
        raise EngineError("images of {n} values cannot be compared with training images of {m}", n=x.shape[1],
                          m=ref.shape[1])
    d = torch.cat([torch.cdist(x[i:i + batch], ref).min(1).values for i in range(0, len(x), batch)])
    return d / x.shape[1] ** 0.5


@functools.lru_cache(maxsize=4)
def copy_threshold(dataset: str = "mnist", percentile: float = COPY_PERCENTILE) -> float:
    """The distance below which a sample counts as a near copy: the `percentile`-th percentile of the held-out
    images' distances to their nearest training image. A held-out image is by construction no copy, so a model
    that draws new images from the data's own distribution has about `percentile`% near copies; one that replays
    its training set has ~100%."""
    d = nearest_distances(load_dataset(dataset, "heldout").x, load_dataset(dataset, "train").x)
    return float(np.percentile(d.double().numpy(), percentile))


def near_copies(images: torch.Tensor, dataset: str = "mnist") -> dict:
    """The memorisation check: the share of `images` closer (RMS over pixels) to a training image of `dataset`
    than `copy_threshold(dataset)`, with that threshold and how it was chosen."""
    d = nearest_distances(images, load_dataset(dataset, "train").x)
    thr = copy_threshold(dataset)
    return {"near_copies": (d < thr).float().mean().item(), "near_copy_threshold": thr,
            "near_copy_percentile": COPY_PERCENTILE, "nearest_train_distance_median": d.median().item()}


def evaluate_images(model, n: int = 1000, seed: int = 0) -> dict:
    t0 = time.perf_counter()
    out = {}
    g = make_generator(seed, model.device)
    uncond, cond_imgs, cond_labels = [], [], []
    for i in range(0, n, 250):
        m = min(250, n - i)
        if model.num_classes:
            y = torch.arange(i, i + m) % model.num_classes
            cond_imgs.append(model.sample(m, generator=g, labels=y).cpu())
            cond_labels.append(y)
        else:
            uncond.append(model.sample(m, generator=g).cpu())
    per_sample = (time.perf_counter() - t0) / n
    fake = torch.cat(cond_imgs or uncond)
    dataset = feature_dataset(model, fake.shape[1:])
    clf, real, real_f, real_p = _reference(dataset)
    fake_f, fake_p = clf.embed(fake)
    out["feature_network"] = FEATURE_NETWORKS[dataset]
    out["fid"] = frechet_distance(fake_f, real_f)
    out["fid_real"] = real_fid(min(n, len(load_dataset(dataset, "train"))), seed, dataset)   # real vs real, same n
    out["precision"], out["recall"] = precision_recall(real_f, fake_f[: len(real_f) * 2])
    out["inception_score"] = inception_score(fake_p)
    hist = torch.bincount(fake_p.argmax(1), minlength=clf.config.num_classes)
    out["class_histogram"] = hist.tolist()
    out["classes_covered"] = int((hist >= max(1, 0.01 * n)).sum())
    if cond_labels:
        out["class_accuracy"] = (fake_p.argmax(1) == torch.cat(cond_labels)).float().mean().item()
    out["classifier_heldout_accuracy"] = (real_p.argmax(1) == real.y).float().mean().item()
    second = second_network(dataset)
    if second:                                   # the same samples in an independent feature space
        clf_b, _, real_fb, _ = _reference(dataset, second)
        out["feature_network_b"] = second
        out["fid_b"] = frechet_distance(clf_b.embed(fake)[0], real_fb)
        out["fid_b_real"] = real_fid(min(n, len(load_dataset(dataset, "train"))), seed, dataset, second)
    if dataset in SPECKLE_DATA:                  # isolated dots on the black background, beside the real digits'
        out["speckle"] = speckle_share(fake)
        out["speckle_per_image"] = speckle(fake).float().mean().item()
        out["speckle_real"] = speckle_share(real.x)
    out.update(near_copies(fake, dataset))
    out["n_samples"] = n
    out["n_real"] = len(real)
    out["sample_seconds_per_sample"] = per_sample
    return out


def evaluate_points(model, n: int = 1000, seed: int = 0) -> dict:
    name = model.meta.get("dataset", "") if hasattr(model, "meta") else ""
    g = make_generator(seed, model.device)
    t0 = time.perf_counter()
    fake = model.sample(n, generator=g).cpu()
    per_sample = (time.perf_counter() - t0) / n
    out = {"n_samples": n, "sample_seconds_per_sample": per_sample, "dataset": name}
    if name not in TOY_SETS:                     # a user's points (or none named): no held-out set to measure on
        return out
    real = load_toy(name, "heldout").x
    out.update(mmd=mmd_rbf(fake[:2000], real[:2000]), n_real=len(real))
    modes = toy_modes(name)
    if modes is not None:
        out.update(mode_stats(fake, modes, TOY_STD[name]))
    return out


def _evaluate_melodies(model, n: int = 300, seed: int = 0) -> dict:
    from .melody_metrics import evaluate_melodies

    return evaluate_melodies(model, n=n, seed=seed)


EVALUATORS = {"image": evaluate_images, "points": evaluate_points, "melody": _evaluate_melodies}


def evaluate(model, n: int = 1000, seed: int = 0) -> dict:
    """All measures that apply to `model`, with the sample count next to them (FID depends on it)."""
    fn = EVALUATORS.get(model.data_kind)
    out = fn(model, n=n, seed=seed) if fn else {}
    if hasattr(model, "extra_metrics") and model.data_kind != "melody":   # family-specific: VAE ELBO, text NLL, …
        out.update(model.extra_metrics(n=n, seed=seed))
    if not out:
        raise EngineError("no evaluator for {kind} models", kind=model.data_kind)
    out.update(family=model.name, parameters=model.num_parameters(), device=str(model.device),
               checkpoint=str(getattr(model, "checkpoint_path", "")))
    return out


def main(argv=None) -> None:
    """python -m generators.metrics --train-features [--dataset emoji] [--second]: (re)make
    checkpoints/<dataset>-features (or, with --second, the dataset's second feature network)."""
    import argparse

    from tqdm import tqdm

    from .base import save_checkpoint

    ap = argparse.ArgumentParser(prog="python -m generators.metrics")
    ap.add_argument("--train-features", action="store_true", help="train and save a feature network")
    ap.add_argument("--dataset", default="mnist", choices=sorted(FEATURE_RECIPES),
                    help="the images it classifies (default: mnist)")
    ap.add_argument("--second", action="store_true", help="the dataset's second, independent feature network "
                    f"(another architecture and seed: {', '.join(SECOND_NETWORKS.values())})")
    ap.add_argument("--steps", type=int, default=None, help="training steps (default: the dataset's recipe)")
    ap.add_argument("--seed", type=int, default=None, help="seed of weights, batches, augmentation and dropout "
                    "(default: the recipe's, 0 for the first network)")
    ap.add_argument("--width", type=int, default=None, help="channels of the first conv layers (default: recipe)")
    ap.add_argument("--features", type=int, default=None, help="size of the feature vector, FID's space "
                    "(default: the dataset's recipe)")
    ap.add_argument("--arch", default=None, choices=sorted(BODIES), help="the feature extractor's design "
                    "(default: the recipe's; conv for the first networks)")
    ap.add_argument("--out", default=None, help="checkpoint path (default: checkpoints/<dataset>-features, "
                    "or the second network's name)")
    args = ap.parse_args(argv)
    if not args.train_features:
        ap.error("nothing to do: pass --train-features")
    if args.second and args.dataset not in SECOND_RECIPES:
        ap.error(f"--second: {args.dataset} has no second feature network")
    given = {k: getattr(args, k) for k in ("steps", "width", "features", "seed", "arch") if getattr(args, k) is not None}
    recipe = {"seed": 0, **(SECOND_RECIPES if args.second else FEATURE_RECIPES)[args.dataset], **given}
    if min(recipe["steps"], recipe["width"], recipe["features"]) < 1:
        ap.error("--steps, --width and --features must be at least 1")
    args.steps = recipe["steps"]
    out = args.out or str(CHECKPOINT_DIR / (SECOND_NETWORKS if args.second else FEATURE_NETWORKS)[args.dataset])
    t0 = time.perf_counter()
    it = train_classifier(dataset=args.dataset, **recipe)
    bar = tqdm(total=args.steps, desc="features")
    try:
        while True:
            step, loss = next(it)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}")
    except StopIteration as stop:
        model = stop.value
    bar.close()
    held = load_dataset(args.dataset, "heldout")
    _, probs = model.embed(held.x)
    acc = (probs.argmax(1) == held.y).float().mean().item()
    per_class = [((probs.argmax(1) == k) & (held.y == k)).sum().item() / max(1, (held.y == k).sum().item())
                 for k in range(held.num_classes)]
    save_checkpoint(model, out, dataset=args.dataset, steps=args.steps,
                    metrics={"heldout_accuracy": acc, "heldout_accuracy_per_class": per_class},
                    info={"seconds": time.perf_counter() - t0, "recipe": recipe})
    print(f"held-out accuracy {acc:.4f} ({len(held)} images), per class "
          f"{' '.join(f'{a:.2f}' for a in per_class)}, {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
