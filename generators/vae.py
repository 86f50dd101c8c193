"""Variational autoencoders (Kingma & Welling 2014): a convolutional VAE for 28×28 digits or 32×32 colour emoji.

ELBO(x) = E_q(z|x)[log p(x|z)] − β·KL(q(z|x) ‖ N(0, I)); β = 1 is the plain VAE, β > 1 a β-VAE.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .base import Family, LatentSpec, check_choices, check_reals, check_whole_numbers, fingerprint, make_generator, train_field
from .data import dataset_kind
from .errors import EngineError
from .images import IMAGE_GEOMETRY, image_geometry
from .recipe import Recipe, RunDefaults

LIKELIHOODS = ("bernoulli", "gaussian")
PRIORS = ("fitted", "normal")


@dataclass(frozen=True)
class VAEConfig:
    latent_dim: int = train_field(16, "Latent size", lo=1, hi=512)
    num_classes: int = 0          # > 0: encoder and decoder also see the class (a conditional VAE)
    width: int = 32               # channels of the first conv layer (each next level has 2×)
    hidden: int = 256
    likelihood: str = "bernoulli"  # bernoulli (binary cross-entropy) | gaussian (fixed σ)
    sigma: float = 0.1            # σ of the gaussian likelihood
    beta: float = train_field(1.0, "VAE β", lo=0, hi=100, zero_is_default=False)   # weight of the KL term (β-VAE)
    lr: float = 1e-3
    channels: int = 1             # image channels: 1 grey (digits), 3 RGB (emoji)
    image_size: int = 28          # 28 (levels 14, 7), 32 (16, 8, 4), 64 (… 4): halves to below 8×8
    melody: bool = False          # the images are piano rolls (1×32×32) of melody windows (generators/music.py)

    def __post_init__(self):
        check_choices(self, (("likelihood", LIKELIHOODS),))
        check_whole_numbers(self, (("latent_dim", 1, 512), ("num_classes", 0, 1000), ("width", 1, 512),
                                   ("hidden", 1, 4096), ("channels", 1, 4), ("image_size", 8, 256)))
        check_reals(self, (("sigma", 1e-4, 10.0), ("beta", 0.0, 1000.0), ("lr", 1e-7, 1.0)))
        _levels(self.image_size)


def _levels(size: int) -> int:
    """Stride-2 conv levels from image_size to below 8×8, at least 2: 28 → 7 (2 levels), 32 → 4 (3), 64 → 4 (4)."""
    k = 2
    while size / 2**k >= 8:
        k += 1
    if size % 2**k:
        raise EngineError("image_size {size} must halve {k} times to below 8×8 (e.g. 28, 32, 64)", size=size, k=k)
    return k


def _level_channels(c: VAEConfig) -> list[int]:
    """Channels after each stride-2 level: width, 2·width, 4·width, …"""
    return [c.width * 2**i for i in range(_levels(c.image_size))]


class Encoder(nn.Module):
    """x (B,C,S,S) [+ one-hot y] → μ, log σ² (B, D)."""

    def __init__(self, c: VAEConfig):
        super().__init__()
        chs = _level_channels(c)
        layers, cin = [], c.channels
        for ch in chs:                          # each: 4/2/1 conv, S → S/2
            layers += [nn.Conv2d(cin, ch, 4, 2, 1), nn.ReLU()]
            cin = ch
        # state size. chs[-1] × S/2^k × S/2^k  (digits: 2w × 7 × 7)
        self.conv = nn.Sequential(*layers, nn.Flatten())
        bottom = c.image_size // 2 ** len(chs)
        self.fc = nn.Sequential(nn.Linear(chs[-1] * bottom * bottom + c.num_classes, c.hidden), nn.ReLU())
        self.mu = nn.Linear(c.hidden, c.latent_dim)
        self.logvar = nn.Linear(c.hidden, c.latent_dim)

    def forward(self, x, y1h=None):
        h = self.conv(x)
        if y1h is not None:
            h = torch.cat([h, y1h], 1)
        h = self.fc(h)
        return self.mu(h), self.logvar(h).clamp(-20, 10)


class Decoder(nn.Module):
    """z (B, D) [+ one-hot y] → logits of p(x|z) (B,C,S,S): the encoder's levels mirrored."""

    def __init__(self, c: VAEConfig):
        super().__init__()
        chs = _level_channels(c)
        self.top, self.bottom = chs[-1], c.image_size // 2 ** len(chs)
        self.fc = nn.Sequential(nn.Linear(c.latent_dim + c.num_classes, c.hidden), nn.ReLU(),
                                nn.Linear(c.hidden, self.top * self.bottom ** 2), nn.ReLU())
        layers = []
        for cin, cout in zip(chs[::-1], chs[-2::-1] + [c.channels]):   # each: 4/2/1 transposed conv, S/2 → S
            layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.ReLU()]
        # state size. C × S × S  (digits: 1 × 28 × 28)
        self.deconv = nn.Sequential(*layers[:-1])                       # logits: no ReLU after the last

    def forward(self, z, y1h=None):
        if y1h is not None:
            z = torch.cat([z, y1h], 1)
        return self.deconv(self.fc(z).view(-1, self.top, self.bottom, self.bottom))


def _em_mixture(mu: torch.Tensor, k: int, iters: int, seed: int):
    """A k-component full-covariance Gaussian mixture fitted by EM (float64) to the points `mu` (n, d) →
    (weights (k,), means (k, d), scale_tril (k, d, d))."""
    n, d = mu.shape
    g = torch.Generator().manual_seed(seed)
    means = mu[torch.randperm(n, generator=g)[:k]].clone()
    cov = torch.cov(mu.T).expand(k, d, d).clone()
    weights = torch.full((k,), 1.0 / k, dtype=torch.float64)
    eye = torch.eye(d, dtype=torch.float64) * 1e-4
    for _ in range(iters):
        dist = torch.distributions.MultivariateNormal(means, covariance_matrix=cov + eye)
        logp = dist.log_prob(mu[:, None, :]) + weights.log()                  # (n, k)
        r = (logp - logp.logsumexp(1, keepdim=True)).exp()                    # responsibilities
        nk = r.sum(0).clamp_min(1e-8)
        weights = nk / n
        means = (r.T @ mu) / nk[:, None]
        diff = mu[:, None, :] - means                                          # (n, k, d)
        cov = torch.einsum("nk,nki,nkj->kij", r, diff, diff) / nk[:, None, None]
    tril = torch.linalg.cholesky(cov + eye)
    return weights, means, tril


class VAE(Family):
    name: ClassVar[str] = "vae"
    TITLE: ClassVar[str] = "VAE"
    Config: ClassVar[type] = VAEConfig
    NETWORKS: ClassVar[tuple[str, ...]] = ("encoder", "decoder")
    # 2 CPU cores: reconstructions of held-out digits ≥ 90% readable at ~900 steps
    RUN_DEFAULTS: ClassVar[dict] = {"image": RunDefaults(Recipe(warmup=50, schedule="cosine", ema_decay=0.99),
                                                         batch_size=64, steps=1200),
                                    "melody": RunDefaults(Recipe(warmup=100, schedule="cosine", ema_decay=0.99),
                                                          batch_size=64, steps=3000)}

    def __init__(self, config: VAEConfig):
        super().__init__(config)
        self.encoder, self.decoder = Encoder(config), Decoder(config)

    @classmethod
    def config_for(cls, dataset: str, **overrides) -> VAEConfig:
        kind = dataset_kind(dataset)
        if kind not in ("image", "melody"):
            raise EngineError("the VAE family trains on images or melodies, not {kind} ({dataset!r})", kind=kind,
                              dataset=dataset)
        base = {"lr": 2e-3}                                     # lr tuned with RUN_DEFAULTS
        channels, size, classes = image_geometry(dataset)
        if kind == "melody":         # MusicVAE in miniature: 32×32 piano rolls, 16 latent dimensions, no classes;
            # β 0.25 (4,000 steps): held-out rolls read back 65.5% of events right against 41.3% at β 1 (0.1: 68.4%)
            base.update(channels=1, image_size=32, num_classes=0, width=32, hidden=256, latent_dim=16, beta=0.25,
                        melody=True)
        elif (channels, size, classes) != (1, 28, 10):           # emoji: 3×32×32, conditional on the 9 groups
            # 8 latent dimensions, not 16: each group's ~190 encoded emoji then fill their prior components
            # (6,000 steps: 56.8% of samples read as their group vs 52.1% at 16; vae-emoji ships wider still)
            base.update(channels=channels, image_size=size, num_classes=classes, width=16, hidden=128, latent_dim=8)
        return VAEConfig(**{**base, **overrides})

    @property
    def data_kind(self) -> str:
        return "melody" if self.config.melody else "image"

    def latent_spec(self) -> LatentSpec:
        return LatentSpec((self.config.latent_dim,), "gaussian",
                          f"z ~ N(0, I) in {self.config.latent_dim} dimensions (the prior)")

    def _onehot(self, y):
        return F.one_hot(y, self.num_classes).float() if self.num_classes and y is not None else None

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.config.channels, self.config.image_size, self.config.image_size

    def _check_images(self, images) -> torch.Tensor:
        x = torch.as_tensor(images, dtype=torch.float32, device=self.device)
        if x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            shape = "×".join(map(str, self.image_shape))
            raise EngineError("images must be float N×{shape}, got shape {got}", shape=shape, got=tuple(x.shape))
        if not bool(torch.isfinite(x).all()) or float(x.min()) < 0 or float(x.max()) > 1:
            raise EngineError("image values must be finite and in [0, 1]")
        return x

    def _class_for(self, labels, n, generator=None):
        y = self.check_labels(labels, n)
        if y is None and self.num_classes:
            if generator is None:
                raise EngineError("this conditional VAE needs labels")
            y = torch.randint(0, self.num_classes, (n,), generator=generator, device=self.device)
        return y

    # ------------------------------------------------------------------ the API
    @torch.no_grad()
    def posterior(self, images, labels=None) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x) = N(μ, σ²): images float N×C×S×S in [0,1] → (μ, log σ²), each (N, D)."""
        x = self._check_images(images)
        return self.encoder(x, self._onehot(self._class_for(labels, len(x))))

    def encode(self, images, labels=None) -> torch.Tensor:
        """Images → latents (the posterior mean μ)."""
        return self.posterior(images, labels)[0]

    def decoder_output(self, z, y_onehot=None):
        logits = self.decoder(z, y_onehot)
        return torch.sigmoid(logits) if self.config.likelihood == "bernoulli" else logits.clamp(0, 1)

    @torch.no_grad()
    def decode(self, latents, labels=None) -> torch.Tensor:
        """Latents (N, D) → images float N×C×S×S in [0,1] (the mean of p(x|z))."""
        z = self.check_latents(latents, len(latents))
        return self.decoder_output(z, self._onehot(self._class_for(labels, len(z))))

    @torch.no_grad()
    def reconstruct(self, images, labels=None, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """decode(encode(x)); with `generator`, z = μ + σ·ε is drawn instead of taking μ."""
        mu, logvar = self.posterior(images, labels)
        z = mu if generator is None else mu + (0.5 * logvar).exp() * torch.randn(
            mu.shape, generator=generator, device=mu.device)
        return self.decode(z, labels)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator, latents=None, labels=None, temperature: float = 1.0,
               prior: str = "fitted"):
        """n images from the prior → the decoder's mean image. prior "normal": z ~ N(0, t²·I), the prior the
        ELBO trained against; "fitted": the mixture fitted to the encoded training digits when the checkpoint
        stores one (`fit_prior`), z = μ_k + t·L_k·ε with component k drawn by its weight, else N(0, t²·I).
        Given `latents`, they are decoded (scaled by t) whatever the prior."""
        if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and 0 <= temperature <= 2):
            raise EngineError("temperature must be in 0..2")
        if prior not in PRIORS:
            raise EngineError("prior must be one of {options}, not {prior!r}", options=", ".join(PRIORS), prior=prior)
        mixture = self.fitted_prior() if prior == "fitted" and latents is None else None
        owner = None if mixture is None else mixture[3]      # each component's class (a mixture per class)
        y = None if owner is None else self._class_for(labels, n, generator)   # then the class comes first
        if mixture is not None:
            weights, means, tril, _ = mixture
            if owner is None:
                k = torch.multinomial(weights, n, replacement=True, generator=generator)
            else:                                            # a component of each sample's own class
                k = torch.multinomial(weights[None, :] * (owner[None, :] == y.to(owner.device)[:, None]), 1,
                                      generator=generator)[:, 0]
            eps = torch.randn((n, means.shape[1]), generator=generator, device=self.device, dtype=means.dtype)
            z = means[k] + temperature * (tril[k] @ eps[:, :, None])[:, :, 0]
        else:
            z = self.draw_latents(n, generator) if latents is None else self.check_latents(latents, n)
            z = z * temperature
        if owner is None:
            y = self._class_for(labels, n, generator)
        return self.decode(z, y)

    # ------------------------------------------------------------------ the fitted prior
    def fit_prior(self, images, labels=None, *, k: int = 20, iters: int = 100, seed: int = 0,
                  per_class: int = 4) -> dict:
        """A k-component full-covariance Gaussian mixture fitted by EM (float64) to the posterior means of
        `images`: the aggregate posterior q(z), which N(0, I) matches only roughly: decoding prior draws that fall
        where no digit was encoded (the prior's "holes") gives blurred non-digits (Ghosh et al. 2020, "ex-post
        density estimation"). A conditional VAE encodes each image with its `labels`, and gets `per_class`
        components fitted to each class's images ("classes": each component's class): the decoder does not
        ignore z, so a z drawn where another class was encoded, decoded with this class, blurs the two (on
        vae-emoji, 29% → 52% of samples recognised as their group). → JSON for the checkpoint's "prior" field,
        tied to these weights."""
        extra = {}
        if self.num_classes and labels is not None and per_class:
            y = torch.as_tensor(labels).long().cpu()
            keep = (y >= 0) & (y < self.num_classes)           # images of classes the model has
            y, mu = y[keep], self.encode(images[keep], y[keep]).double().cpu()
            present = [c for c in range(self.num_classes) if (y == c).any()]
            parts = [_em_mixture(mu[y == c], min(per_class, int((y == c).sum())), iters, seed) for c in present]
            weights = torch.cat([w * float((y == c).double().mean()) for c, (w, _, _) in zip(present, parts)])
            means, tril = torch.cat([m for _, m, _ in parts]), torch.cat([L for _, _, L in parts])
            extra = {"classes": [c for c, (w, _, _) in zip(present, parts) for _ in range(len(w))]}
        else:
            mu = self.encode(images, labels).double().cpu()
            weights, means, tril = _em_mixture(mu, k, iters, seed)

        def short(t):                                 # 7 significant digits: float32 holds no more
            return [short(v) for v in t] if isinstance(t, list) else float(f"{t:.7g}")

        weights = weights / weights.sum()
        return {"kind": "mixture", "k": len(weights), "fingerprint": fingerprint(self),
                "weights": short(weights.tolist()), "means": short(means.tolist()),
                "scale_tril": short(tril.tolist()), **extra}

    def fitted_prior(self):
        """(weights (k,), means (k, D), scale_tril (k, D, D), each component's class (k,) or None) of the
        checkpoint's fitted mixture, on the model's device; None when there is none, or it does not fit these
        weights. JSON is only numbers: anything of the
        wrong shape, not finite, not a distribution or not lower-triangular with a positive diagonal is ignored."""
        src = (getattr(self, "meta", None) or {}).get("prior")
        if not isinstance(src, dict):
            return None
        fp = fingerprint(self)            # every call (~5 ms): training changes the weights in place
        cached = getattr(self, "_prior_cache", None)
        if cached is None or cached[0] is not src or cached[1] != fp:
            self._prior_cache = (src, fp, self._read_prior(src, fp))
        return self._prior_cache[2]

    def _read_prior(self, p: dict, fp: str):
        if p.get("kind") != "mixture" or p.get("fingerprint") != fp:
            return None
        d = self.config.latent_dim
        try:
            w = torch.tensor(p["weights"], dtype=torch.float64)
            m = torch.tensor(p["means"], dtype=torch.float64)
            L = torch.tensor(p["scale_tril"], dtype=torch.float64)
        except (KeyError, TypeError, ValueError, RuntimeError):
            return None
        k = len(w)
        if (not 1 <= k <= 256 or w.shape != (k,) or m.shape != (k, d) or L.shape != (k, d, d)
                or not all(bool(torch.isfinite(t).all()) for t in (w, m, L)) or bool((w < 0).any())
                or abs(float(w.sum()) - 1) > 1e-6 or not torch.equal(L, L.tril())
                or not bool((L.diagonal(dim1=1, dim2=2) > 0).all()) or float(m.abs().max()) > 1e3
                or float(L.abs().max()) > 1e3):
            return None
        owner = None
        if "classes" in p:            # a conditional VAE's mixture per class: every class has weight in it
            cls = p["classes"]
            if not isinstance(cls, list) or len(cls) != k or not all(type(c) is int for c in cls):
                return None
            owner = torch.tensor(cls, dtype=torch.long)
            if (not self.num_classes or int(owner.min()) < 0 or int(owner.max()) >= self.num_classes
                    or not bool((torch.zeros(self.num_classes, dtype=w.dtype).index_add(0, owner, w) > 0).all())):
                return None
            owner = owner.to(self.device)
        return (*(t.to(self.device, self.dtype) for t in (w, m, L)), owner)

    def derived_meta(self) -> dict:
        """The prior fitted to the encoded training images of the checkpoint's dataset (VAEs trained on a bundled
        set: MNIST, emoji, the melodies)."""
        from .data import MELODY_SETS, load_dataset

        if (getattr(self, "meta", None) or {}).get("dataset") not in ("mnist", "mnist-full", *IMAGE_GEOMETRY,
                                                                       *MELODY_SETS):
            return {}
        d = load_dataset(self.meta["dataset"], "train")
        return {"prior": self.fit_prior(d.x, d.y if self.num_classes else None)}

    SAMPLE_OPTIONS: ClassVar[dict] = {
        "temperature": (float, 1.0, "prior temperature t in 0..2: z ~ N(0, t²I)"),
        "prior": (str, "fitted", "fitted (the mixture fitted to the encoded training digits, when the checkpoint "
                                 "has one) | normal (N(0, I), the prior the ELBO trained against)")}

    # ------------------------------------------------------------------ training
    def prepare_data(self, dataset):
        if dataset.kind != self.data_kind:
            raise EngineError("this VAE trains on {kind}, {dataset!r} is {other}",
                              kind=self.data_kind, dataset=dataset.name, other=dataset.kind)
        return (dataset.x, dataset.y) if dataset.y is not None else (dataset.x,)

    def configure_optimizers(self, lr: float | None = None):
        return {"vae": torch.optim.Adam(self.parameters(), lr=lr or self.config.lr)}

    def loss_terms(self, x, y=None, *, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image −log p(x|z) (one z ~ q(z|x)) and KL(q(z|x) ‖ p(z)), in nats: each (B,)."""
        y1h = self._onehot(y)
        mu, logvar = self.encoder(x, y1h)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator, device=mu.device)  # reparam.
        logits = self.decoder(z, y1h)
        if self.config.likelihood == "bernoulli":
            rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        else:
            s = self.config.sigma
            rec = (0.5 * ((x - logits) / s) ** 2 + math.log(s * math.sqrt(2 * math.pi))).flatten(1).sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return rec, kl

    def losses(self, batch, *, generator: torch.Generator):
        """One phase: the negative β-ELBO, averaged over the batch."""
        x = batch[0]
        y = batch[1] if len(batch) > 1 and self.num_classes else None
        rec, kl = self.loss_terms(x, y, generator=generator)
        loss = (rec + self.config.beta * kl).mean()
        yield "vae", loss
        return {"loss": loss.item(), "reconstruction": rec.mean().item(), "kl": kl.mean().item(),
                "elbo": -(rec + kl).mean().item()}

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def heldout_elbo(self, seed: int = 0, samples: int = 4, dataset: str | None = None) -> dict:
        """Held-out ELBO (nats per image, averaged over `samples` draws of z) and reconstruction error, on the
        held-out images of `dataset` (default: the one its feature network measures, `metrics.feature_dataset`:
        the bundled MNIST digits for 1×28×28 models, emoji for 3×32×32)."""
        from .data import load_dataset
        from .metrics import feature_dataset

        d = load_dataset(dataset or feature_dataset(self, self.image_shape), "heldout")
        x, y = d.x.to(self.device), d.y.to(self.device)
        g = make_generator(seed, self.device)
        self.eval()
        recs, kls = [], []
        for _ in range(samples):
            rec, kl = self.loss_terms(x, y if self.num_classes else None, generator=g)
            recs.append(rec)
            kls.append(kl)
        rec, kl = torch.stack(recs).mean(0), torch.stack(kls).mean(0)
        xr = self.reconstruct(x, y if self.num_classes else None)
        return {"elbo_nats": -(rec + kl).mean().item(), "reconstruction_nats": rec.mean().item(),
                "kl_nats": kl.mean().item(), "reconstruction_mse": (xr - x).pow(2).mean().item(),
                "reconstruction_l1_per_pixel": (xr - x).abs().mean().item(), "images": xr, "labels": d.y}

    def extra_metrics(self, n: int = 1000, seed: int = 0) -> dict:
        from .metrics import FEATURE_NETWORKS, feature_dataset, load_classifier

        dataset = feature_dataset(self, self.image_shape)
        r = self.heldout_elbo(seed, dataset=dataset)
        _, p = load_classifier(FEATURE_NETWORKS[dataset]).embed(r.pop("images"))
        labels = r.pop("labels")
        r["reconstruction_accuracy"] = (p.argmax(1) == labels).float().mean().item()
        r["n_heldout"] = len(labels)
        return r
