"""Quality measures: an MNIST feature network (FID, precision/recall, class accuracy), 2D mode coverage, MMD.

Inception weights cannot be downloaded here; for 28×28 digits a digit classifier's penultimate features are
the standard substitute. The classifier trains on the non-held-out digits only; FID compares to held-out ones.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .base import (CHECKPOINT_DIR, CheckpointError, checkpoint_paths, config_from_json, load_state_into,
                   make_generator, read_meta, read_safetensors)
from .data import TOY_SETS, load_mnist, load_toy, toy_modes

FEATURES_CHECKPOINT = "mnist-features"


@dataclass(frozen=True)
class ClassifierConfig:
    width: int = 32
    features: int = 128
    num_classes: int = 10


class MnistClassifier(nn.Module):
    """conv-conv-pool ×2 → 128-d features → 10 logits."""

    name = "classifier"

    def __init__(self, config: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.config = c = config
        w = c.width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            # state size. w × 14 × 14
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            # state size. 2w × 7 × 7
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(2 * w * 49, c.features), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(c.features, c.num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """Images in [0,1] (N,1,28,28) → (features (N,128), class probabilities (N,10))."""
        self.eval()
        feats, probs = [], []
        for i in range(0, len(x), batch):
            f = self.body(x[i:i + batch].to(next(self.parameters()).device).float())
            feats.append(f.cpu())
            probs.append(F.softmax(self.head(f), 1).cpu())
        return torch.cat(feats), torch.cat(probs)


def train_classifier(steps: int = 3000, batch_size: int = 128, seed: int = 0, lr: float = 1e-3):
    """Train on the 4,500 non-held-out digits with ±2-pixel shifts; yields (step, loss) and returns the model."""
    g = torch.Generator().manual_seed(seed)
    torch_state = torch.random.get_rng_state()
    model = MnistClassifier()
    d = load_mnist("train")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr * 3, total_steps=steps)
    model.train()
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(d), (batch_size,), generator=g)
        x, y = d.x[idx], d.y[idx]
        dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
        x = torch.roll(x, (dx, dy), (2, 3))
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        yield step, loss.item()
    torch.random.set_rng_state(torch_state)   # dropout used the global RNG; leave it as we found it
    model.eval()
    return model


_CLASSIFIER: dict[str, MnistClassifier] = {}


def load_classifier(name_or_path: str = FEATURES_CHECKPOINT) -> MnistClassifier:
    """The shipped feature network (cached; read-only)."""
    if name_or_path not in _CLASSIFIER:
        base = CHECKPOINT_DIR / name_or_path if "/" not in str(name_or_path) else name_or_path
        wpath, cpath = checkpoint_paths(base)
        meta = read_meta(cpath)
        if meta.get("family") != "classifier":
            raise CheckpointError(f"{cpath.name} is not a classifier checkpoint")
        model = MnistClassifier(config_from_json(ClassifierConfig, meta["config"]))
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


@functools.lru_cache(maxsize=16)
def real_fid(n: int = 1000, seed: int = 0) -> float:
    """The FID a perfect model would get at this sample count: n training digits (drawn with `seed`, never the
    held-out ones) against the held-out digits, in the same feature space. FID is biased upward at small n, so a
    model's FID means something only beside this number at the same n. Cached: every image model evaluated at
    the same n (the Compare table's three, and its floor row) shares one computation."""
    clf = load_classifier()
    train = load_mnist("train")
    idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:n]
    return frechet_distance(clf.embed(train.x[idx])[0], clf.embed(load_mnist("heldout").x)[0])


def evaluate_images(model, n: int = 1000, seed: int = 0) -> dict:
    clf = load_classifier()
    real = load_mnist("heldout")
    real_f, real_p = clf.embed(real.x)
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
    fake_f, fake_p = clf.embed(fake)
    out["fid"] = frechet_distance(fake_f, real_f)
    out["fid_real"] = real_fid(min(n, len(load_mnist("train"))), seed)    # real digits against real, same n
    out["precision"], out["recall"] = precision_recall(real_f, fake_f[: len(real_f) * 2])
    out["inception_score"] = inception_score(fake_p)
    hist = torch.bincount(fake_p.argmax(1), minlength=10)
    out["class_histogram"] = hist.tolist()
    out["classes_covered"] = int((hist >= max(1, 0.01 * n)).sum())
    if cond_labels:
        out["class_accuracy"] = (fake_p.argmax(1) == torch.cat(cond_labels)).float().mean().item()
    out["classifier_heldout_accuracy"] = (real_p.argmax(1) == real.y).float().mean().item()
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


EVALUATORS = {"image": evaluate_images, "points": evaluate_points}


def evaluate(model, n: int = 1000, seed: int = 0) -> dict:
    """All measures that apply to `model`, with the sample count next to them (FID depends on it)."""
    fn = EVALUATORS.get(model.data_kind)
    out = fn(model, n=n, seed=seed) if fn else {}
    if hasattr(model, "extra_metrics"):          # family-specific: VAE ELBO, text NLL, …
        out.update(model.extra_metrics(n=n, seed=seed))
    if not out:
        raise ValueError(f"no evaluator for {model.data_kind} models")
    out.update(family=model.name, parameters=model.num_parameters(), device=str(model.device),
               checkpoint=str(getattr(model, "checkpoint_path", "")))
    return out


def main(argv=None) -> None:
    """python -m generators.metrics --train-features: (re)make checkpoints/mnist-features."""
    import argparse

    from tqdm import tqdm

    from .base import save_checkpoint

    ap = argparse.ArgumentParser(prog="python -m generators.metrics")
    ap.add_argument("--train-features", action="store_true", help="train and save the MNIST feature network")
    ap.add_argument("--steps", type=int, default=3000, help="training steps")
    ap.add_argument("--out", default=str(CHECKPOINT_DIR / FEATURES_CHECKPOINT), help="checkpoint path")
    args = ap.parse_args(argv)
    if not args.train_features:
        ap.error("nothing to do: pass --train-features")
    t0 = time.perf_counter()
    it = train_classifier(steps=args.steps)
    bar = tqdm(total=args.steps, desc="features")
    try:
        while True:
            step, loss = next(it)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}")
    except StopIteration as stop:
        model = stop.value
    bar.close()
    held = load_mnist("heldout")
    _, probs = model.embed(held.x)
    acc = (probs.argmax(1) == held.y).float().mean().item()
    save_checkpoint(model, args.out, dataset="mnist", steps=args.steps,
                    metrics={"heldout_accuracy": acc}, info={"seconds": time.perf_counter() - t0})
    print(f"held-out accuracy {acc:.4f} ({len(held)} digits), {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
