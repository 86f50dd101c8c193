"""Denoising diffusion (Ho et al. 2020): ε-prediction with a cosine schedule (Nichol & Dhariwal 2021), a small
UNet for 28×28 digits or 32×32 colour emoji (or an MLP for 2D points), classifier-free guidance (Ho & Salimans
2022) via label dropout; or, with `objective="flow"`, rectified flow / conditional flow matching (Liu et al. 2022;
Lipman et al. 2022).

Network, generative process and samplers are separate: the sampler is a call argument of `sample`.
objective "eps" (integer steps t = 0 … T−1):
  forward  x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,  the network predicts ε̂ ≈ ε
  DDIM     x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ²) ε̂ + σ z,  σ = η √((1−ᾱ_{t'})/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'})
  DDPM     ancestral sampling = DDIM with η = 1 (Song et al. 2021, §4.1), over all T steps or a stride of them.
objective "flow" (time t ∈ [0, 1], t = 1 is pure noise; the network sees t·(T−1), the ε range):
  forward  x_t = (1 − t) x_0 + t ε,  the network predicts the velocity v̂ ≈ v = dx_t/dt = ε − x_0
  Euler    x_{t'} = x_t + (t' − t) v̂(x_t, t)                     integrating dx/dt = v from t = 1 to 0
  Heun     x_{t'} = x_t + (t' − t) ½ (v̂(x_t, t) + v̂(x̃, t')),  x̃ the Euler step (2 network calls per step)
  x̂_0 = x_t − t v̂ (follow the straight line to t = 0). Guidance mixes v̂ exactly as it mixes ε̂.
Both start from x_T ~ N(0, I), its values clipped to ±noise_clip where a checkpoint asks (diffusion-mnist: 3).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .base import Family, LatentSpec, check_choices, check_whole_numbers, make_grid, to_uint8, train_field, upscale
from .data import dataset_kind
from .errors import EngineError
from .images import image_geometry
from .recipe import Recipe, RunDefaults

SAMPLERS = {"eps": ("ddim", "ddpm"), "flow": ("euler", "heun")}   # objective → the samplers its network serves
MAX_FLOW_STEPS = 100

SCHEDULES = ("cosine", "linear")


@dataclass(frozen=True)
class DiffusionConfig:
    arch: str = "unet"            # unet (images) | mlp (2D points)
    objective: str = "eps"        # eps (ε-prediction, DDPM) | flow (velocity on the straight path, rectified flow)
    timesteps: int = train_field(1000, "Diffusion T", lo=10, hi=2000)   # T
    schedule: str = train_field("cosine", "Noise schedule", choices=SCHEDULES)   # cosine | linear
    channels: int = 32            # unet base width C (the two lower levels use 2C); not the image's channels:
    image_channels: int = 1       # those are here: 1 grey (digits), 3 RGB (emoji)
    image_size: int = 28          # unet: a multiple of 4 (levels S, S/2, S/4: 28 → 14 → 7, 32 → 16 → 8)
    hidden: int = 256             # mlp width
    num_classes: int = 10         # 0 = unconditional
    p_uncond: float = 0.1         # label dropout for classifier-free guidance
    lr: float = 1e-3
    default_sampler: str = "ddim"  # the sampler when none is given
    default_steps: int = 25       # the sampler's step count when none is given
    default_guidance: float = 2.0
    default_noise_clip: float = 0.0   # x_T's values clipped to ±this when a caller gives no noise_clip (0: none)
    melody: bool = False          # the images are piano rolls (1×32×32) of melody windows (generators/music.py)

    def __post_init__(self):
        check_choices(self, (("arch", ("unet", "mlp")), ("objective", tuple(SAMPLERS)), ("schedule", SCHEDULES)))
        if self.default_sampler not in SAMPLERS[self.objective]:
            raise EngineError("default_sampler of a {objective} model must be one of {options}, not {sampler!r}",
                              objective=self.objective, options=", ".join(SAMPLERS[self.objective]),
                              sampler=self.default_sampler)
        if self.objective == "flow" and not (isinstance(self.default_steps, int) and self.default_steps <= MAX_FLOW_STEPS):
            raise EngineError("default_steps of a flow model must be a whole number in 1..{hi}", hi=MAX_FLOW_STEPS)
        check_whole_numbers(self, (("timesteps", 2, 10000), ("channels", 4, 512), ("hidden", 4, 4096),
                                   ("num_classes", 0, 1000), ("default_steps", 1, 10000), ("image_channels", 1, 4),
                                   ("image_size", 4, 256)))
        if self.image_size % 4:
            raise EngineError("image_size must be a multiple of 4 (the UNet halves it twice), not {size}",
                              size=self.image_size)
        if not 0 <= self.p_uncond < 1 or not 0 < self.lr <= 1 or not 0 <= self.default_guidance <= 20:
            raise EngineError("p_uncond must be in [0, 1), lr in (0, 1], default_guidance in 0..20")
        _check_noise_clip(self.default_noise_clip, "default_noise_clip")


def _check_noise_clip(c, name: str = "noise_clip") -> float:
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or not 0 <= c <= 20:
        raise EngineError("{name} must be 0 (no clipping) or a bound in (0, 20]", name=name)
    return float(c)


# ----------------------------------------------------------------------------- schedule
def make_schedule(kind: str, T: int) -> torch.Tensor:
    """ᾱ_t for t = 0 … T−1 (float64), strictly decreasing in (0, 1)."""
    if kind == "cosine":
        s = 0.008
        f = lambda t: torch.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
        t = torch.arange(T + 1, dtype=torch.float64)
        betas = (1 - f(t[1:]) / f(t[:-1])).clamp(max=0.999)
    else:
        betas = torch.linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (B,) → (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    a = t.float()[:, None] * freqs[None]
    return torch.cat([a.sin(), a.cos()], 1)


# ----------------------------------------------------------------------------- networks (know nothing of noise)
class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int):
        super().__init__()
        self.n1, self.n2 = nn.GroupNorm(8, cin), nn.GroupNorm(8, cout)
        self.c1, self.c2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.e = nn.Linear(emb, cout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, e):
        h = self.c1(F.silu(self.n1(x))) + self.e(e)[:, :, None, None]
        return self.c2(F.silu(self.n2(h))) + self.skip(x)


class UNet(nn.Module):
    """UNet, no attention: levels S (C), S/2 (2C), S/4 (2C) with skip connections (S = 28: 28, 14, 7)."""

    def __init__(self, c: DiffusionConfig):
        super().__init__()
        C, E = c.channels, c.channels * 4
        self.emb_dim = E
        self.t_mlp = nn.Sequential(nn.Linear(C, E), nn.SiLU(), nn.Linear(E, E))
        self.y_emb = nn.Embedding(c.num_classes + 1, E) if c.num_classes else None   # last index = "no class"
        self.inp = nn.Conv2d(c.image_channels, C, 3, padding=1)
        self.d1 = ResBlock(C, C, E)                      # state size. C × S × S
        self.down1 = nn.Conv2d(C, C, 3, 2, 1)            # → S/2
        self.d2 = ResBlock(C, 2 * C, E)                  # state size. 2C × S/2 × S/2
        self.down2 = nn.Conv2d(2 * C, 2 * C, 3, 2, 1)    # → S/4
        self.mid = ResBlock(2 * C, 2 * C, E)             # state size. 2C × S/4 × S/4
        self.u2 = ResBlock(4 * C, 2 * C, E)
        self.up2 = nn.ConvTranspose2d(2 * C, 2 * C, 4, 2, 1)   # → S/2
        self.u1 = ResBlock(4 * C, C, E)
        self.up1 = nn.ConvTranspose2d(C, C, 4, 2, 1)           # → S
        self.u0 = ResBlock(2 * C, C, E)
        self.out = nn.Sequential(nn.GroupNorm(8, C), nn.SiLU(), nn.Conv2d(C, c.image_channels, 3, padding=1))
        self.C = C

    def forward(self, x, t, y=None):
        e = self.t_mlp(timestep_embedding(t, self.C).to(x.dtype))
        if self.y_emb is not None:
            e = e + self.y_emb(y)
        h0 = self.d1(self.inp(x), e)
        h1 = self.d2(self.down1(h0), e)
        d2 = self.down2(h1)
        h = self.u2(torch.cat([self.mid(d2, e), d2], 1), e)
        h = self.u1(torch.cat([self.up2(h), h1], 1), e)
        h = self.u0(torch.cat([self.up1(h), h0], 1), e)
        return self.out(h)                               # ε̂, (B, image channels, S, S)


class MLPDenoiser(nn.Module):
    """For 2D points: [x, emb(t)] → ε̂."""

    def __init__(self, c: DiffusionConfig):
        super().__init__()
        self.t_dim = 32
        self.net = nn.Sequential(nn.Linear(2 + self.t_dim, c.hidden), nn.SiLU(), nn.Linear(c.hidden, c.hidden), nn.SiLU(),
                                 nn.Linear(c.hidden, c.hidden), nn.SiLU(), nn.Linear(c.hidden, 2))

    def forward(self, x, t, y=None):
        return self.net(torch.cat([x, timestep_embedding(t, self.t_dim).to(x.dtype)], 1))


# ----------------------------------------------------------------------------- the family
class Diffusion(Family):
    name: ClassVar[str] = "diffusion"
    TITLE: ClassVar[str] = "Diffusion"
    Config: ClassVar[type] = DiffusionConfig
    SAMPLE_OPTIONS: ClassVar[dict] = {
        "sampler": (str, None, "ddim | ddpm (ancestral) for eps models, euler | heun for flow models; "
                               "default: the checkpoint's"),
        "steps": (int, None, "denoising steps (default: the checkpoint's, e.g. 25; ddpm: up to T; euler/heun: 1..100)"),
        "eta": (float, 0.0, "DDIM η: 0 = deterministic, 1 = as random as DDPM (flow models: 0)"),
        "guidance": (float, None, "classifier-free guidance scale w (1 = plain conditional; default: the checkpoint's)"),
        "noise_clip": (float, None, "clip the starting noise x_T to ±this (0 = none; default: the checkpoint's, "
                                    "3 for diffusion-mnist: its rare far-out values left faint dots)"),
    }

    def __init__(self, config: DiffusionConfig):
        super().__init__(config)
        self.net = UNet(config) if config.arch == "unet" else MLPDenoiser(config)
        self.register_buffer("alpha_bar", make_schedule(config.schedule, config.timesteps), persistent=False)

    @classmethod
    def config_for(cls, dataset: str, **overrides) -> DiffusionConfig:
        kind = dataset_kind(dataset)
        if kind == "points":
            # sharp 2D modes need the stochastic sampler: DDPM-100 covers all 8 Gaussians, DDIM-50 blurs them
            base = dict(arch="mlp", num_classes=0, default_sampler="ddpm", default_steps=100, default_guidance=1.0)
        elif kind == "image":
            # tuned for 2 CPU cores (RUN_DEFAULTS): a 136k-parameter flow UNet at lr 3e-3 reads ≥ 90% at ~300 steps
            base = dict(arch="unet", objective="flow", channels=16, lr=3e-3)
            channels, size, classes = image_geometry(dataset)
            if (channels, size, classes) != (1, 28, 10):     # emoji: 3×32×32 in 9 groups
                base.update(image_channels=channels, image_size=size, num_classes=classes)
        elif kind == "melody":       # piano rolls 1×32×32, unconditional
            base = dict(arch="unet", objective="flow", channels=32, lr=2e-3, image_size=32, num_classes=0,
                        melody=True)
        else:
            raise EngineError("the diffusion family trains on images or 2D points, not text ({dataset!r})",
                              dataset=dataset)
        if overrides.get("objective", base.get("objective")) == "flow":   # nearly straight paths: few Euler steps
            base.update(objective="flow", default_sampler="euler", default_steps=10)
        if kind == "points":       # tuned with RUN_DEFAULTS on 25gaussians: ε at 5e-3 falls apart (0/25 modes),
            base["lr"] = 5e-3 if base.get("objective") == "flow" else 2e-3    # flow at 2e-3 splits 2/25 by 5,000 steps
        return DiffusionConfig(**{**base, **overrides})

    @property
    def data_kind(self) -> str:
        return ("melody" if self.config.melody else "image") if self.config.arch == "unet" else "points"

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        c = self.config
        return (c.image_channels, c.image_size, c.image_size) if c.arch == "unet" else None

    def latent_spec(self) -> LatentSpec:
        shape = self.image_shape or (2,)
        return LatentSpec(shape, "gaussian", "x_T ~ N(0, I): pure noise, one value per pixel")

    # ------------------------------------------------------------------ training
    NETWORKS: ClassVar[tuple[str, ...]] = ("net",)
    # points, 1 CPU thread, ~35 s: both objectives cover 8/8 and 22–25/25 Gaussians (seeds 0–2) where the plain
    # run (batch 64, 2,000 steps, constant 1e-3) covers 2/8 and 0/25; checkpoints/README.md, "Points run defaults"
    RUN_DEFAULTS: ClassVar[dict] = {
        "image": RunDefaults(Recipe(warmup=100, schedule="cosine", ema_decay=0.99), batch_size=128, steps=500),
        "melody": RunDefaults(Recipe(warmup=100, schedule="cosine", ema_decay=0.995), batch_size=64, steps=4000),
        "points": RunDefaults(Recipe(warmup=100, schedule="cosine", grad_clip=1.0, ema_decay=0.99),
                              batch_size=256, steps=8000)}

    def configure_optimizers(self, lr: float | None = None):
        return {"net": torch.optim.Adam(self.net.parameters(), lr=lr or self.config.lr)}

    def path_coefficients(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(a, b) with x_t = a·x_0 + b·ε: √ᾱ_t, √(1−ᾱ_t) at steps t (eps); 1 − t, t at times t ∈ [0, 1] (flow)."""
        if self.config.objective == "flow":
            return 1 - t, t
        ab = self.alpha_bar[t].float()
        return ab.sqrt(), (1 - ab).sqrt()

    def _net_time(self, t):
        """What the timestep embedding sees: the step itself (eps), or t·(T−1) (flow), the same range."""
        return t * (self.config.timesteps - 1) if self.config.objective == "flow" else t

    def loss(self, x0, y=None, *, generator: torch.Generator) -> torch.Tensor:
        """eps: E_t,ε ‖ε − ε̂(x_t, t, y)‖²; flow: E_t,ε ‖(ε − x_0) − v̂(x_t, t, y)‖², t ~ U[0, 1]; x_t on each
        objective's path (module docstring). Labels are dropped to "no class" with prob p_uncond."""
        B, flow = x0.shape[0], self.config.objective == "flow"
        t = (torch.rand(B, generator=generator, device=x0.device) if flow
             else torch.randint(0, self.config.timesteps, (B,), generator=generator, device=x0.device))
        eps = torch.randn(x0.shape, generator=generator, device=x0.device)
        a, b = (c.view(B, *([1] * (x0.dim() - 1))) for c in self.path_coefficients(t))   # (B, 1, …) to broadcast
        xt = a * x0 + b * eps
        if y is not None and self.num_classes:
            drop = torch.rand(B, generator=generator, device=x0.device) < self.config.p_uncond
            y = torch.where(drop, torch.full_like(y, self.num_classes), y)
        return F.mse_loss(self.net(xt, self._net_time(t), y), eps - x0 if flow else eps)

    def losses(self, batch, *, generator: torch.Generator):
        """One phase: the denoising loss of `loss` on the batch (images to [-1, 1])."""
        x0 = batch[0] * 2 - 1 if self.config.arch == "unet" else batch[0]
        y = batch[1] if len(batch) > 1 else None
        loss = self.loss(x0, y, generator=generator)
        yield "net", loss
        return {"loss": loss.item()}

    # ------------------------------------------------------------------ sampling
    @property
    def samplers(self) -> tuple[str, ...]:
        """The samplers this model's network serves; the first is deterministic (DDIM with η = 0, Euler)."""
        return SAMPLERS[self.config.objective]

    @property
    def max_steps(self) -> int:
        """The most steps a sampler takes: T (eps) or 100 (flow)."""
        return MAX_FLOW_STEPS if self.config.objective == "flow" else self.config.timesteps

    def _check_sampler(self, sampler: str | None) -> str:
        sampler = sampler or self.config.default_sampler
        if sampler not in self.samplers:
            if self.config.objective == "flow":      # the names: SAMPLERS (tests/test_flow.py reads this English)
                raise EngineError("sampler must be euler or heun for this flow-matching model, not {sampler!r}",
                                  sampler=sampler)
            raise EngineError("sampler must be ddim or ddpm for this ε-prediction model, not {sampler!r}", sampler=sampler)
        return sampler

    def timesteps_for(self, sampler: str | None, steps: int | None) -> list:
        """The (decreasing) times the sampler calls the network at: steps T−1 … 0 (eps), t = 1 … 1/N (flow)."""
        sampler, T = self._check_sampler(sampler), self.config.timesteps
        flow, hi = self.config.objective == "flow", self.max_steps
        if steps is None:
            steps = T if sampler == "ddpm" and sampler != self.config.default_sampler else self.config.default_steps
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= hi:
            if flow:
                raise EngineError("steps must be a whole number in 1..{hi}", hi=hi)
            raise EngineError("steps must be a whole number in 1..{hi} (T = {T})", hi=hi, T=T)
        if flow:
            return [1 - i / steps for i in range(steps)]         # uniform grid; the last step lands on t = 0
        return torch.linspace(T - 1, 0, steps).round().long().unique_consecutive().tolist()

    def _predict(self, x, t, y, guidance: float):
        """ε̂ (eps) or v̂ (flow) at step/time t, guided: p_∅ + w (p_y − p_∅)."""
        tt = torch.full((x.shape[0],), self._net_time(t), device=x.device)   # (B,) int64 steps or float times
        if y is None or not self.num_classes:
            return self.net(x, tt)
        if guidance == 1.0:
            return self.net(x, tt, y)
        null = torch.full_like(y, self.num_classes)
        e = self.net(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null]))   # one batched call
        e_c, e_u = e.chunk(2)
        return e_u + guidance * (e_c - e_u)

    def _ddim_step(self, x, t, t_next, y, w, *, sampler, eta, generator):
        """DDIM/DDPM from step t to t_next (None: to the data, ᾱ = 1) → (x_{t'}, x̂_0)."""
        a_t = float(self.alpha_bar[t])
        a_prev = float(self.alpha_bar[t_next]) if t_next is not None else 1.0
        e = self._predict(x, t, y, w)
        x0 = (x - math.sqrt(1 - a_t) * e) / math.sqrt(a_t)
        if self.config.arch == "unet":
            x0 = x0.clamp(-1, 1)
            e = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)     # ε consistent with the clipped x̂_0
        sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)) if a_prev < 1 else 0.0
        x = math.sqrt(a_prev) * x0 + math.sqrt(max(1 - a_prev - sigma**2, 0.0)) * e
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=generator, device=x.device)
        return x, x0

    def _flow_step(self, x, t, t_next, y, w, *, sampler, eta, generator):
        """Euler or Heun on dx/dt = v̂ from time t to t_next (None: to t = 0) → (x_{t'}, x̂_0)."""
        t_next = 0.0 if t_next is None else t_next
        v = self._predict(x, t, y, w)
        x0 = x - t * v                                   # x̂_0: the straight line from x_t on to t = 0
        x_next = x + (t_next - t) * v                    # Euler (t_next < t: towards the data)
        if sampler == "heun" and t_next > 0:             # trapezoid rule, v̂ also at Euler's guess; not at t = 0,
            x_next = x + (t_next - t) * 0.5 * (v + self._predict(x_next, t_next, y, w))   # where v is ill-posed
        if self.config.arch == "unet":
            x0 = x0.clamp(-1, 1)
            x_next = x_next.clamp(-1, 1) if t_next == 0 else x_next
        return x_next, x0

    @torch.no_grad()
    def denoise(self, n: int, *, generator: torch.Generator, latents=None, labels=None, sampler: str | None = None,
                steps: int | None = None, eta: float = 0.0, guidance: float | None = None,
                noise_clip: float | None = None, record_every: int = 0):
        """Run the reverse process from x_T (its values clipped to ±`noise_clip`, where not 0). Yields
        (i, total, t, x_t, x̂_0) every `record_every` steps (and the last)."""
        sampler = self._check_sampler(sampler)
        ts = self.timesteps_for(sampler, steps)
        eta = 1.0 if sampler == "ddpm" else eta
        if not (isinstance(eta, (int, float)) and math.isfinite(eta) and 0 <= eta <= 1):
            raise EngineError("eta must be in 0..1")
        if self.config.objective == "flow" and eta != 0:
            raise EngineError("eta is DDIM's randomness; the flow samplers (euler, heun) are deterministic: use 0")
        w = self.config.default_guidance if guidance is None else guidance
        if not (isinstance(w, (int, float)) and math.isfinite(w) and 0 <= w <= 20):
            raise EngineError("guidance must be in 0..20")
        clip = _check_noise_clip(self.config.default_noise_clip if noise_clip is None else noise_clip)
        x, y = self.sample_inputs(n, generator, latents, labels)
        if clip:          # the far tail of N(0, I) (|x| > 3: 0.27% of values) is what the net fails to clean up
            x = x.clamp(-clip, clip)
        step = {"eps": self._ddim_step, "flow": self._flow_step}[self.config.objective]
        for i, t in enumerate(ts):
            t_next = ts[i + 1] if i + 1 < len(ts) else None
            x, x0 = step(x, t, t_next, y, w, sampler=sampler, eta=eta, generator=generator)
            if record_every and (i % record_every == 0 or i == len(ts) - 1):
                yield i + 1, len(ts), t, x, x0
        if not record_every:
            yield len(ts), len(ts), 0, x, x

    def _out(self, x):
        return (x + 1) * 0.5 if self.config.arch == "unet" else x

    def sample(self, n: int, *, generator: torch.Generator, latents=None, labels=None, sampler: str | None = None,
               steps: int | None = None, eta: float = 0.0, guidance: float | None = None,
               noise_clip: float | None = None):
        """n samples: images float N×C×S×S in [0,1] (C×S×S = `image_shape`) or points N×2."""
        *_, x, _ = list(self.denoise(n, generator=generator, latents=latents, labels=labels, sampler=sampler,
                                     steps=steps, eta=eta, guidance=guidance, noise_clip=noise_clip))[-1]
        return self._out(x)

    def trajectory(self, n: int, *, generator: torch.Generator, frames: int = 20, **kw):
        """Every few steps of the reverse process: yields (i, total, t, x_t, x̂_0), both in output space."""
        total = len(self.timesteps_for(kw.get("sampler"), kw.get("steps")))
        every = max(1, total // max(1, frames))
        for i, tot, t, x, x0 in self.denoise(n, generator=generator, record_every=every, **kw):
            yield i, tot, t, self._out(x).clamp(0, 1) if self.config.arch == "unet" else x, self._out(x0)

    def sample_frames(self, n: int, *, generator: torch.Generator, labels=None, **kw):
        """(samples, GIF frames) for the CLI: each frame is the grid of x_t beside the grid of x̂_0."""
        frames, last = [], None
        for _, _, _, xt, x0 in self.trajectory(n, generator=generator, labels=labels, **kw):
            frames.append(upscale(make_grid(to_uint8(torch.cat([xt, x0]).cpu()), nrow=n, pad=1), 3))
            last = x0
        return last, frames

    def preview(self, n: int, *, generator: torch.Generator):
        labels = torch.arange(n) % self.num_classes if self.num_classes else None
        return self.sample(n, generator=generator, labels=labels, steps=min(10, self.config.timesteps))

    # ------------------------------------------------------------------ the forward process, for teaching
    def signal_noise(self, t: int) -> tuple[float, float]:
        """(a, b) of x_t = a·x_0 + b·ε at step t = 0 … T−1 (flow: at time t/(T−1))."""
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.config.timesteps:
            raise EngineError("t must be a whole number in 0..{hi}", hi=self.config.timesteps - 1)
        tt = torch.tensor([t / (self.config.timesteps - 1) if self.config.objective == "flow" else t])
        a, b = self.path_coefficients(tt)
        return float(a), float(b)

    def q_sample(self, x0: torch.Tensor, t: int, *, generator: torch.Generator) -> torch.Tensor:
        """x_t ~ q(x_t | x_0) at step t (see `signal_noise`), for data in output space ([0,1] images or points)."""
        a, b = self.signal_noise(t)
        x = x0 * 2 - 1 if self.config.arch == "unet" else x0
        xt = a * x + b * torch.randn(x.shape, generator=generator, device=x.device)
        return self._out(xt)
