"""GANs (Goodfellow et al. 2014): a class-conditional DCGAN for images, an MLP GAN for 2D sets.

Losses: non-saturating BCE, hinge, WGAN-GP (Gulrajani et al. 2017) with n_critic D steps per G step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .base import Family, LatentSpec, check_choices, check_reals, check_whole_numbers, fingerprint, train_field
from .data import dataset_kind
from .errors import EngineError
from .images import image_geometry
from .recipe import Recipe, RunDefaults

LOSSES = ("bce", "hinge", "wgan-gp")


@dataclass(frozen=True)
class GANConfig:
    arch: str = "dcgan"          # "dcgan" (images) | "mlp" (2D points)
    image_size: int = 28         # dcgan: 7·2^k or 4·2^k (28, 32, 64, …)
    channels: int = 1
    latent_dim: int = train_field(64, "Latent size", lo=1, hi=512)
    num_classes: int = 10        # 0 = unconditional
    ngf: int = 64                # generator width (channels of the last hidden layer)
    ndf: int = 64                # discriminator width (channels of the first layer)
    hidden: int = 256            # mlp width
    layers: int = 3              # mlp hidden layers
    loss: str = train_field("bce", "GAN loss", choices=LOSSES)   # bce | hinge | wgan-gp
    n_critic: int = train_field(1, "D steps per G step", lo=1, hi=10)
    gp_weight: float = 10.0      # λ of the gradient penalty (wgan-gp)
    spectral_norm: bool = True   # spectral normalisation in D (Miyato et al. 2018) instead of batch norm
    minibatch_std: bool = True   # D sees the batch's feature spread (Karras et al. 2018): fights mode collapse
    label_planes: bool = True    # dcgan: D also gets the class as one-hot input planes (besides the projection)
    default_truncation: float = 1.0   # ψ when a caller gives none (a checkpoint's choice, measured: see its README)
    aux_weight: float = 0.0      # dcgan: weight of an auxiliary class loss (AC-GAN, Odena et al. 2017): D's
                                 # class head learns real digits' classes, G is pushed to make its digits read
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999

    def __post_init__(self):
        check_choices(self, (("arch", ("dcgan", "mlp")), ("loss", LOSSES)))
        check_whole_numbers(self, (("latent_dim", 1, 1024), ("num_classes", 0, 1000), ("ngf", 1, 1024),
                                   ("ndf", 1, 1024), ("hidden", 1, 4096), ("layers", 1, 16), ("n_critic", 1, 100),
                                   ("channels", 1, 4), ("image_size", 4, 256)))
        check_reals(self, (("default_truncation", 0.0, 2.0),))
        if not (isinstance(self.aux_weight, (int, float)) and 0 <= self.aux_weight <= 100):
            raise EngineError("aux_weight must be in 0..100")
        if self.aux_weight and (self.label_planes or not self.num_classes):
            raise EngineError("the auxiliary class loss needs num_classes > 0 and label_planes off "
                              "(a class head that sees the label planes would only read them back)")
        if self.arch == "dcgan":
            _levels(self.image_size)


def _levels(size: int) -> tuple[int, int]:
    """image_size = base · 2^k with base 7 (28×28) or 4 (32, 64, …) → (base, k)."""
    for base in (7, 4):
        k = round(math.log2(size / base)) if size >= base else -1
        if k >= 1 and base * 2**k == size:
            return base, k
    raise EngineError("image_size {size} must be 7·2^k or 4·2^k (e.g. 28, 32, 64)", size=size)


class DCGANGenerator(nn.Module):
    """z (+ class embedding) → ConvT to base×base → k× [ConvT 4/2/1, BN, ReLU] → tanh image."""

    def __init__(self, c: GANConfig):
        super().__init__()
        base, k = _levels(c.image_size)
        self.num_classes = c.num_classes
        nin = c.latent_dim + c.num_classes          # z ⊕ one-hot(y)
        ch = c.ngf * 2 ** (k - 1)
        layers = [nn.ConvTranspose2d(nin, ch, base, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True)]
        # state size. (ngf·2^(k-1)) × base × base
        for _ in range(k - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        # state size. ngf × (size/2) × (size/2)
        layers += [nn.ConvTranspose2d(ch, c.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z, y=None):
        if self.num_classes:
            z = torch.cat([z, F.one_hot(y, self.num_classes).to(z.dtype)], 1)
        return self.net(z[:, :, None, None])   # (B, C, size, size) in [-1, 1]


class DCGANDiscriminator(nn.Module):
    """k× [Conv 4/2/1, (BN), LeakyReLU] → Conv base×base → logit, + projection term ⟨embed(y), φ(x)⟩."""

    def __init__(self, c: GANConfig):
        super().__init__()
        base, k = _levels(c.image_size)
        # batch norm breaks the per-sample gradient penalty, and spectral norm replaces it
        norm = c.loss != "wgan-gp" and not c.spectral_norm
        sn = nn.utils.parametrizations.spectral_norm if c.spectral_norm else (lambda m: m)
        self.num_classes = c.num_classes
        # the class enters D by projection, and also as one-hot input planes (cGAN, Mirza & Osindero 2014)
        # unless D has an auxiliary class head, which must not see them
        self.planes = c.num_classes if c.label_planes else 0
        layers, ch_in, ch = [], c.channels + self.planes, c.ndf
        for i in range(k):
            layers.append(sn(nn.Conv2d(ch_in, ch, 4, 2, 1, bias=not (norm and i))))
            if norm and i:
                layers.append(nn.BatchNorm2d(ch))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            ch_in, ch = ch, ch * 2
        # state size. (ndf·2^(k-1)) × base × base
        self.features = nn.Sequential(*layers)
        self.mbstd = c.minibatch_std
        self.out = sn(nn.Conv2d(ch_in + int(c.minibatch_std), 1, base, 1, 0))
        self.embed = sn(nn.Embedding(c.num_classes, ch_in)) if c.num_classes else None
        self.classes = nn.Linear(ch_in, c.num_classes) if c.aux_weight else None     # no spectral norm: it
        # would hold the class logits near 0 (pooled features are small), the loss at ln 10

    def forward(self, x, y=None):
        """The realness logit (B,); with a class head, (logit, class logits (B, K)): both leave through forward,
        so under DistributedDataParallel the head's gradients are synced like the rest."""
        if self.planes:
            planes = F.one_hot(y, self.num_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, *x.shape[2:])], 1)
        h = self.features(x)
        hs = h
        if self.mbstd:   # one extra channel: the mean over features of the std over the batch
            sd = h.std(0, unbiased=False).mean() if h.shape[0] > 1 else h.new_zeros(())
            hs = torch.cat([h, sd.expand(h.shape[0], 1, *h.shape[2:])], 1)
        logit = self.out(hs).flatten()
        pooled = h.sum((2, 3)) / h[0, 0].numel()
        if self.embed is not None:
            logit = logit + (self.embed(y) * pooled).sum(1)
        if self.classes is not None:
            return logit, self.classes(F.layer_norm(pooled, pooled.shape[1:]))   # unit scale: learnable
        return logit


def _mlp(nin: int, hidden: int, layers: int, nout: int, act) -> nn.Sequential:
    mods, d = [], nin
    for _ in range(layers):
        mods += [nn.Linear(d, hidden), act()]
        d = hidden
    return nn.Sequential(*mods, nn.Linear(d, nout))


class GAN(Family):
    name: ClassVar[str] = "gan"
    TITLE: ClassVar[str] = "GAN"
    Config: ClassVar[type] = GANConfig
    SAMPLE_OPTIONS: ClassVar[dict] = {"truncation": (float, None, "truncation ψ in 0..2: scales latents toward the "
                                                                 "mean (lower = more typical, less diverse); default: the checkpoint's")}
    NETWORKS: ClassVar[tuple[str, ...]] = ("G", "D")
    # 2 CPU cores: ≥ 90% of conditional digits readable at ~1,800 steps with the auxiliary class loss (~3,400
    # without; a cosine decay or lr 8e-4 did worse)
    RUN_DEFAULTS: ClassVar[dict] = {"image": RunDefaults(Recipe(ema_decay=0.999), batch_size=64, steps=4000)}

    def __init__(self, config: GANConfig):
        super().__init__(config)
        c = config
        if c.arch == "dcgan":
            self.G, self.D = DCGANGenerator(c), DCGANDiscriminator(c)
        else:
            if c.num_classes:
                raise EngineError("the mlp GAN is unconditional: set num_classes=0")
            self.G = _mlp(c.latent_dim, c.hidden, c.layers, 2, nn.ReLU)
            self.D = _mlp(2, c.hidden, c.layers, 1, lambda: nn.LeakyReLU(0.2))
        self._directions = {}

    @classmethod
    def config_for(cls, dataset: str, **overrides) -> GANConfig:
        kind = dataset_kind(dataset)
        if kind == "points":
            base = dict(arch="mlp", latent_dim=8, num_classes=0)
        elif kind == "image":          # tuned for 2 CPU cores with RUN_DEFAULTS: 308k parameters, lr 5e-4; the
            # auxiliary class loss (D without label planes) at weight 0.3 reads 93% of digits at 2,000 steps
            # against 82.5% without, at about the same FID; weight 1 reads 88% at 1,200 but FID is 29% worse
            base = dict(arch="dcgan", ngf=32, ndf=32, lr=5e-4, label_planes=False, aux_weight=0.3)
            channels, size, classes = image_geometry(dataset)
            if (channels, size, classes) != (1, 28, 10):    # emoji: 3×32×32 in 9 groups; 24 wide: 303k parameters
                base.update(channels=channels, image_size=size, num_classes=classes, ngf=24, ndf=24)
            if overrides.get("num_classes") == 0 or overrides.get("label_planes"):
                base.update(label_planes=True, aux_weight=0.0)   # no classes to learn, or D is to read them
        else:
            raise EngineError("the GAN family trains on images or 2D points, not text ({dataset!r})", dataset=dataset)
        return GANConfig(**{**base, **overrides})

    @property
    def data_kind(self) -> str:
        return "image" if self.config.arch == "dcgan" else "points"

    def latent_spec(self) -> LatentSpec:
        return LatentSpec((self.config.latent_dim,), "gaussian", f"z ~ N(0, I) in {self.config.latent_dim} dimensions")

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        c = self.config
        return (c.channels, c.image_size, c.image_size) if c.arch == "dcgan" else None

    # ------------------------------------------------------------------ sampling
    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Latents (B, D) [+ labels (B,)] → images in [0,1] (B, C, H, W) or points (B, 2)."""
        if self.config.arch == "mlp":
            return self.G(z)
        return (self.G(z, y) + 1) * 0.5

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator, latents=None, labels=None, truncation: float | None = None):
        """n samples; `truncation` ψ scales the latents toward the mean (ψ < 1: typical, less diverse); None: the
        checkpoint's default_truncation."""
        if truncation is None:
            truncation = self.config.default_truncation
        if not (isinstance(truncation, (int, float)) and math.isfinite(truncation) and 0 <= truncation <= 2):
            raise EngineError("truncation must be in 0..2")
        z, y = self.sample_inputs(n, generator, latents, labels)
        return self.generate(z * truncation, y)

    @torch.no_grad()
    def principal_directions(self, k: int = 8, n: int = 1024, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """GANSpace (Härkönen et al. 2020): PCA of the first layer's activations, carried back to z by
        least squares → (k, D) unit directions in latent space and their share of variance. Cached, and read
        from the checkpoint's JSON when `store_directions` put them there for these very weights."""
        key = (k, n, seed)
        if key not in self._directions:
            self._directions[key] = self._stored_directions(k, n, seed) or self._pca(k, n, seed)
        return self._directions[key]

    def _pca_layers(self) -> nn.Module:
        return self.G.net[:3] if self.config.arch == "dcgan" else self.G[:2]

    def _pca(self, k: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator(device=self.device).manual_seed(seed)
        z = torch.randn(n, self.config.latent_dim, generator=g, device=self.device)
        if self.config.arch == "dcgan":
            y = torch.arange(n, device=self.device) % self.num_classes if self.num_classes else None
            inp = torch.cat([z, F.one_hot(y, self.num_classes).to(z.dtype)], 1) if y is not None else z
            h = self._pca_layers()(inp[:, :, None, None]).flatten(1)     # (n, F) first-layer activations
        else:
            h = self._pca_layers()(z)
        h = h - h.mean(0)
        # PCA through the n×n Gram matrix (n ≪ F): h hᵀ = U S² Uᵀ, PCA coordinates = U S
        evals, evecs = torch.linalg.eigh((h @ h.T).double())
        evals, evecs = evals.flip(0).clamp_min(0), evecs.flip(1)
        k = min(k, n)
        coords = evecs[:, :k] * evals[:k].sqrt()                     # (n, k)
        u = torch.linalg.lstsq(coords, (z - z.mean(0)).double()).solution.float()   # z ≈ coords · u → (k, D)
        u = u / u.norm(dim=1, keepdim=True).clamp_min(1e-8)
        var = (evals[:k] / evals.sum()).float()
        return u, var

    def directions_fingerprint(self) -> str:
        """sha256 of the layers the directions are computed from: stored directions are used only for these."""
        return fingerprint(self._pca_layers())

    def _stored_directions(self, k: int, n: int, seed: int):
        """The directions in the checkpoint's JSON (`principal_directions`), else None. The shipped GAN's cost
        ~0.5 s to compute (a 1024×1024 eigendecomposition), a tenth of the app's cold start on 2 vCPUs; JSON
        numbers are only numbers, and anything that does not match these weights and shapes is ignored."""
        d = (getattr(self, "meta", None) or {}).get("principal_directions")
        if not isinstance(d, dict) or [d.get("k"), d.get("n"), d.get("seed")] != [k, n, seed]:
            return None
        try:
            u = torch.tensor(d["u"], dtype=torch.float32)
            var = torch.tensor(d["var"], dtype=torch.float32)
        except (KeyError, TypeError, ValueError, RuntimeError):
            return None
        k = min(k, n)
        if (u.shape != (k, self.config.latent_dim) or var.shape != (k,) or not bool(torch.isfinite(u).all())
                or not bool(torch.isfinite(var).all()) or d.get("fingerprint") != self.directions_fingerprint()):
            return None
        return u.to(self.device), var.to(self.device)

    def derived_meta(self) -> dict:
        return {"principal_directions": self.store_directions()} if self.config.arch == "dcgan" else {}

    def store_directions(self, k: int = 8, n: int = 1024, seed: int = 0) -> dict:
        """The directions as JSON for the checkpoint's config file (`generators.export.store_directions`)."""
        u, var = self._pca(k, n, seed)
        return {"k": k, "n": n, "seed": seed, "fingerprint": self.directions_fingerprint(),
                "u": u.cpu().tolist(), "var": var.cpu().tolist()}

    @torch.no_grad()
    def steered_latent(self, generator: torch.Generator, *, pca=(), offsets=()) -> torch.Tensor:
        """One latent (1, D): a prior draw moved by Σ αᵢ·uᵢ along the principal directions, plus raw offsets
        on the first dimensions (the GAN tab's sliders)."""
        z = self.draw_latents(1, generator)
        if len(offsets) > z.shape[1] or len(pca) > z.shape[1]:
            raise EngineError("at most {n} offsets and principal directions for this {n}-dimensional latent",
                              n=z.shape[1])
        if len(pca):
            u, _ = self.principal_directions(max(8, len(pca)))
            z = z + torch.as_tensor(pca, dtype=z.dtype, device=z.device) @ u[: len(pca)]
        if len(offsets):
            z[0, : len(offsets)] += torch.as_tensor(offsets, dtype=z.dtype, device=z.device)
        return z

    # ------------------------------------------------------------------ training
    def decoder_output(self, z, y_onehot=None):
        if self.config.arch == "mlp":
            return self.G(z)                                        # (B, 2) points
        if y_onehot is not None:
            z = torch.cat([z, y_onehot], 1)
        return (self.G.net(z[:, :, None, None]) + 1) * 0.5           # (B, C, H, W) in [0, 1]

    def configure_optimizers(self, lr: float | None = None) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        lr = lr or c.lr
        betas = (c.beta1, c.beta2)
        return {"G": torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas),
                "D": torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)}

    def _d(self, x, y):
        """D's realness logit (B,)."""
        return self._d_classes(x, y)[0]

    def _d_classes(self, x, y):
        """(D's realness logit (B,), its class head's logits (B, K) or None)."""
        if self.config.arch != "dcgan":
            return self.D(x).flatten(), None
        out = self.D(x, y)
        return out if isinstance(out, tuple) else (out, None)

    def _g(self, z, y):
        return self.G(z, y) if self.config.arch == "dcgan" else self.G(z)

    def losses(self, batch, *, generator: torch.Generator):
        """n_critic D phases, then one G phase (each against the other network as the last step left it)."""
        real = batch[0] * 2 - 1 if self.config.arch == "dcgan" else batch[0]       # images to [-1, 1]
        y = batch[1] if len(batch) > 1 else None
        for _ in range(self.config.n_critic):
            d_loss, d_real, d_fake, d_class = self._d_phase(real, y, generator=generator)
            yield "D", d_loss
        g_loss = self.g_loss(real.shape[0], y, generator=generator)
        yield "G", g_loss
        report = {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "d_real": d_real.mean().item(),
                  "d_fake": d_fake.mean().item()}
        if d_class is not None:                 # the class head's cross-entropy on real digits (ln 10: chance)
            report["d_class"] = d_class.item()
        return report

    def d_loss(self, real, y, *, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """D's loss on real data (in G's output range) against fresh fakes (no gradient into G), and D's logits
        on both (detached, (B,) each)."""
        return self._d_phase(real, y, generator=generator)[:3]

    def _d_phase(self, real, y, *, generator: torch.Generator):
        """`d_loss`'s three, and its class head's cross-entropy on the real digits (detached; None without)."""
        c = self.config
        z = torch.randn(real.shape[0], c.latent_dim, generator=generator, device=real.device)
        with torch.no_grad():
            fake = self._g(z, y)
        d_real, classes = self._d_classes(real, y)
        ce = self._class_loss(classes, y)       # D's class head on the real digits
        d_fake = self._d(fake, y)
        if c.loss == "bce":
            d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        elif c.loss == "hinge":
            d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:
            d_loss = d_fake.mean() - d_real.mean() + c.gp_weight * self._gradient_penalty(real, fake, y, generator)
        if ce is None:
            return d_loss, d_real.detach(), d_fake.detach(), None
        return d_loss + c.aux_weight * ce, d_real.detach(), d_fake.detach(), ce.detach()

    @staticmethod
    def _class_loss(classes, y):
        """The class head's cross-entropy: D's class logits for some images against their labels `y`; None
        without a head."""
        return None if classes is None or y is None else F.cross_entropy(classes.float(), y)

    def g_loss(self, batch_size: int, y, *, generator: torch.Generator) -> torch.Tensor:
        """G's loss against the current D (its backward also reaches D's parameters; only G's optimiser steps)."""
        c = self.config
        z = torch.randn(batch_size, c.latent_dim, generator=generator, device=self.device)
        d_gen, classes = self._d_classes(self._g(z, y), y)
        adv = F.softplus(-d_gen).mean() if c.loss == "bce" else -d_gen.mean()    # non-saturating for bce
        ce = self._class_loss(classes, y)
        return adv if ce is None else adv + c.aux_weight * ce

    def _gradient_penalty(self, real, fake, y, generator):
        shape = (real.shape[0],) + (1,) * (real.dim() - 1)
        a = torch.rand(shape, generator=generator, device=real.device)
        x = (a * real + (1 - a) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(self._d(x, y).sum(), x, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def discriminate(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """D's logit for images in [0,1] or 2D points (for the 2D decision heatmap)."""
        return self._d(x * 2 - 1 if self.config.arch == "dcgan" else x, y)
