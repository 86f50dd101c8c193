"""Gaussians fitted by maximum likelihood: one normal distribution, or a mixture of K; the lesson before all others.

NLL(θ) = −(1/N) Σᵢ log Σₖ πₖ N(xᵢ; μₖ, Σₖ),   Σₖ = Lₖ Lₖᵀ, Lₖ lower-triangular with log(diagonal) learnt (log-Cholesky)

One Gaussian has a closed-form answer (the mean and the 1/N covariance: `Gaussian.closed_form`); a mixture has none.
EM is the classic fit for a mixture, but here gradient descent on the NLL fits both: the shared loop (train.py) owns
the optimisation, as for every family. The Gaussian tab's 1-D lesson (μ and σ by gradient descent, step by step, and a
logistic discriminator that tries to tell the data from the fit) is the set of functions at the end of this module.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from .base import Family, LatentSpec, check_reals, check_whole_numbers, make_generator, train_field
from .data import TOY_SETS, dataset_kind, load_dataset
from .errors import EngineError
from .recipe import Recipe, RunDefaults

MAX_COMPONENTS = 64
LOG_SIGMA_BOUND = 10.0        # each log Lₖᵢᵢ is kept in ±10 (frame units): a component cannot collapse onto one point
LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class GaussianConfig:
    dim: int = 2                    # 1 (numbers: kind "values") | 2 (points)
    components: int = train_field(1, "Mixture components", lo=1, hi=MAX_COMPONENTS)   # K
    init_sigma: float = 0.25        # every component's σ at init, in the data's frame
    dataset: str = ""               # what config_for measured the frame on (a dataset name or a .npy path)
    loc: tuple[float, ...] = ()     # the frame x̃ = (x − loc) / scale, one number per coordinate (none: 0 and 1)
    scale: tuple[float, ...] = ()
    lr: float = 0.05

    def __post_init__(self):
        check_whole_numbers(self, (("dim", 1, 2), ("components", 1, MAX_COMPONENTS)))
        check_reals(self, (("init_sigma", 1e-3, 1e3), ("lr", 1e-7, 10.0)))
        if not isinstance(self.dataset, str) or len(self.dataset) > 1000:
            raise EngineError("dataset must be a name or a path of at most 1000 characters")
        for name, lo, hi in (("loc", -1e12, 1e12), ("scale", 1e-12, 1e12)):
            v = getattr(self, name)
            if (not isinstance(v, tuple) or len(v) not in (0, self.dim) or not all(
                    isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t) and lo <= t <= hi
                    for t in v)):
                raise EngineError("{name} must be {dim} finite number(s) in {lo:g}..{hi:g}, or none",
                                  name=name, dim=self.dim, lo=lo, hi=hi)
        if len(self.loc) != len(self.scale):
            raise EngineError("loc and scale must both be given, or neither")


def frame(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A rough centre and spread of data x (N, D), per coordinate: the median and the interquartile range / 1.349
    (a normal's σ for that IQR; the std where the IQR is 0). Fitting in x̃ = (x − loc) / scale lets one learning
    rate suit numbers of any size, and the frame is not the answer (the mean and std) that the fit is to find."""
    x = x.double()
    q = torch.quantile(x, torch.tensor([0.25, 0.5, 0.75], dtype=x.dtype), dim=0)     # (3, D)
    scale = (q[2] - q[0]) / 1.349
    scale = torch.where(scale > 0, scale, x.std(0, unbiased=False))
    if not bool((scale > 1e-12).all()):
        raise EngineError("the data has no spread: every value is the same")
    return q[1], scale


@functools.lru_cache(maxsize=len(TOY_SETS))
def _toy_frame(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return _rounded_frame(load_dataset(name, "train").x)


def _rounded_frame(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """`frame`, rounded to a ten-thousandth of each coordinate's scale (a readable JSON config, the same fit)."""
    loc, scale = frame(x)
    digits = [4 - math.floor(math.log10(v)) for v in scale.tolist()]
    return (tuple(round(v, d) for v, d in zip(loc.tolist(), digits)),
            tuple(round(v, d) for v, d in zip(scale.tolist(), digits)))


class Mixture(nn.Module):
    """K Gaussians in D dimensions, parametrised in the data's frame: x (N, D) → log p(x) (N,), in data units."""

    def __init__(self, c: GaussianConfig):
        super().__init__()
        k, d = c.components, c.dim
        self.means = nn.Parameter(torch.zeros(k, d))           # μ̃ₖ (K, D)
        self.log_chol = nn.Parameter(torch.zeros(k, d, d))     # below the diagonal Lₖ, on it log Lₖᵢᵢ (K, D, D)
        self.logits = nn.Parameter(torch.zeros(k))             # πₖ = softmax(logits)ₖ (K,)
        self.register_buffer("loc", torch.tensor(c.loc or (0.0,) * d), persistent=False)       # (D,)
        self.register_buffer("scale", torch.tensor(c.scale or (1.0,) * d), persistent=False)   # (D,)

    def log_diag(self) -> torch.Tensor:
        return self.log_chol.diagonal(dim1=1, dim2=2).clamp(-LOG_SIGMA_BOUND, LOG_SIGMA_BOUND)     # (K, D)

    def tril(self) -> torch.Tensor:
        """Lₖ (K, D, D), with Σ̃ₖ = Lₖ Lₖᵀ in the frame. The entries above the diagonal are never read."""
        return self.log_chol.tril(-1) + torch.diag_embed(self.log_diag().exp())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.means.shape[1]
        z = (x - self.loc) / self.scale                                      # (N, D) in the frame
        diff = (z[None] - self.means[:, None]).transpose(1, 2)               # (K, D, N)
        y = torch.linalg.solve_triangular(self.tril(), diff, upper=False)    # Lₖ⁻¹(x̃ − μ̃ₖ) (K, D, N)
        # log N(x̃; μ̃ₖ, Σ̃ₖ) = −½‖Lₖ⁻¹(x̃ − μ̃ₖ)‖² − log|Lₖ| − (D/2) log 2π    (K, N)
        log_n = -0.5 * (y ** 2).sum(1) - self.log_diag().sum(1)[:, None] - 0.5 * d * LOG_2PI
        log_p = torch.logsumexp(self.logits.log_softmax(0)[:, None] + log_n, 0)              # (N,)
        return log_p - self.scale.log().sum()                                # the Jacobian of x → x̃


class Gaussian(Family):
    name: ClassVar[str] = "gaussian"
    TITLE: ClassVar[str] = "Gaussian"
    DEFAULT_DATASET: ClassVar[str] = "8gaussians"
    Config: ClassVar[type] = GaussianConfig
    NETWORKS: ClassVar[tuple[str, ...]] = ("mixture",)
    # 1 CPU thread, K = 8 on 8gaussians, seeds 0–7: 8/8 modes from step 50, held-out NLL −2.895…−2.898 at 500 steps
    # (the true density's: −2.907) in ~0.5 s. A cosine decay to 1% settles the means; no EMA (an average that lags
    # a fit this small only slows it). 1-D: full batches where the data allow (the fit is a handful of numbers).
    RUN_DEFAULTS: ClassVar[dict] = {
        "points": RunDefaults(Recipe(schedule="cosine", floor=0.01, ema_decay=0.0), batch_size=512, steps=500),
        "values": RunDefaults(Recipe(schedule="cosine", floor=0.01, ema_decay=0.0), batch_size=4096, steps=1000)}

    def __init__(self, config: GaussianConfig):
        super().__init__(config)
        self.mixture = Mixture(config)
        self._place(torch.tensor(0.0))
        self.meta = {"dataset": config.dataset} if config.dataset else {}   # a checkpoint's JSON replaces it

    @classmethod
    def config_for(cls, dataset: str, **overrides) -> GaussianConfig:
        kind = dataset_kind(dataset)
        if kind not in ("points", "values"):
            raise EngineError("gaussian models fit points or numbers, not {kind} ({dataset!r})",
                              kind=kind, dataset=dataset)
        dim = 2 if kind == "points" else 1
        if overrides.get("dim", dim) != dim:
            raise EngineError("{dataset!r} holds {kind}: a gaussian model for it has dim {dim}",
                              dataset=dataset, kind=kind, dim=dim)
        loc, scale = _toy_frame(dataset) if dataset in TOY_SETS else _rounded_frame(load_dataset(dataset, "train").x)
        base = dict(dim=dim, components=8 if kind == "points" else 1, dataset=str(dataset), loc=loc, scale=scale)
        return GaussianConfig(**{**base, **overrides})

    @property
    def data_kind(self) -> str:
        return "points" if self.config.dim == 2 else "values"

    def latent_spec(self) -> LatentSpec:
        d, k = self.config.dim, self.config.components
        how = "" if k == 1 else "; the component k comes from Φ(z₁), z₁ redrawn from what is left"
        return LatentSpec((d,), "gaussian", f"z ~ N(0, I) in {d} dimension{'s' * (d > 1)}: x = μₖ + Lₖ z{how}")

    # ------------------------------------------------------------------ initial weights
    @torch.no_grad()
    def init_weights(self, generator: torch.Generator) -> None:
        """Spread the means by one draw u ~ U(−¼, ¼) of `generator` (see `_place`); equal weights, σ̃ = init_sigma."""
        self._place(torch.rand((), generator=generator, dtype=torch.float64) / 2 - 0.25)

    @torch.no_grad()
    def _place(self, u: torch.Tensor) -> None:
        """Component k's mean starts, in the frame, in 1-D at the (k + ½ + u)/K-quantile of N(0, 1); in 2-D on the unit
        circle at angle 2π(k + u)/K, from the x-axis as data.py's 8gaussians' modes are, so that on that set one mean
        starts near each mode (radius 2.1 to their 2, within ±¼ of their spacing)."""
        m = self.mixture
        k = m.means.shape[0]
        t = torch.arange(k, dtype=torch.float64) + u.double()                          # (K,)
        if self.config.dim == 1:
            means = torch.special.ndtri((t + 0.5) / k)[:, None]                          # (K, 1)
        else:
            a = 2 * math.pi * t / k
            means = torch.stack([torch.cos(a), torch.sin(a)], 1)                         # (K, 2)
        m.means.copy_(means)
        m.log_chol.zero_()
        m.log_chol.diagonal(dim1=1, dim2=2).fill_(math.log(self.config.init_sigma))
        m.logits.zero_()

    def num_parameters(self) -> int:
        """The free numbers: K·D means, K·D(D+1)/2 Cholesky entries (log_chol's upper triangle is never read) and
        K logits."""
        k, d = self.config.components, self.config.dim
        return k * d + k * d * (d + 1) // 2 + k

    # ------------------------------------------------------------------ the distribution
    @torch.no_grad()
    def mixture_components(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """In data units: weights πₖ (K,), means μₖ (K, D) and covariances Σₖ (K, D, D)."""
        m = self.mixture
        L = m.scale[:, None] * m.tril()                                     # S Lₖ, S = diag(scale) (K, D, D)
        return m.logits.softmax(0), m.loc + m.scale * m.means, L @ L.transpose(1, 2)

    def _check_points(self, x) -> torch.Tensor:
        d = self.config.dim
        x = torch.as_tensor(x, dtype=self.dtype, device=self.device)
        if d == 1 and x.dim() == 1:
            x = x[:, None]
        if x.dim() != 2 or x.shape[1] != d:
            if d == 1:
                raise EngineError("points must have shape (N, {d}) or (N,), got {shape}", d=d, shape=tuple(x.shape))
            raise EngineError("points must have shape (N, {d}), got {shape}", d=d, shape=tuple(x.shape))
        if not bool(torch.isfinite(x).all()):
            raise EngineError("points must be finite numbers")
        return x

    @torch.no_grad()
    def log_prob(self, x) -> torch.Tensor:
        """log p(x) per point, in nats: x (N, D), or (N,) for a 1-D model → (N,)."""
        return self.mixture(self._check_points(x))

    def nll(self, x) -> float:
        """The mean negative log-likelihood of x, in nats per point."""
        return -float(self.log_prob(x).mean())

    @staticmethod
    def closed_form(x) -> tuple[torch.Tensor, torch.Tensor]:
        """The maximum-likelihood single Gaussian, float64: x (N,) → (mean, variance), both 0-d; x (N, D) → (mean (D,),
        covariance (D, D)). Both with 1/N, which is what the likelihood's maximum is (not the unbiased 1/(N−1))."""
        x = torch.as_tensor(x, dtype=torch.float64)
        mean = x.mean(0)
        d = x - mean
        return mean, (d * d).mean(0) if x.dim() == 1 else d.T @ d / len(x)

    @torch.no_grad()
    def component_ellipses(self, nsigma: float = 1.0) -> list[tuple[float, float, float, float, float]]:
        """Each component's nσ ellipse (2-D models): (centre x, centre y, width, height, angle in degrees)."""
        if self.config.dim != 2:
            raise EngineError("ellipses are for 2-D models")
        _, mu, cov = self.mixture_components()
        evals, evecs = torch.linalg.eigh(cov.double())                      # ascending (K, 2), columns (K, 2, 2)
        angle = torch.rad2deg(torch.atan2(evecs[:, 1, 1], evecs[:, 0, 1]))  # the major axis' direction
        w, h = 2 * nsigma * evals[:, 1].clamp_min(0).sqrt(), 2 * nsigma * evals[:, 0].clamp_min(0).sqrt()
        return [tuple(map(float, r)) for r in zip(mu[:, 0], mu[:, 1], w, h, angle)]

    # ------------------------------------------------------------------ sampling
    def _component(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z (n, D) ~ N(0, I) → component k (n,) ~ Cat(π) and z' (n, D) ~ N(0, I) independent of k: u = Φ(z₁) picks k
        by the inverse CDF of π, and (u − C_{k−1}) / πₖ, uniform again, is turned back into z'₁."""
        pi = self.mixture.logits.double().softmax(0)                        # (K,)
        if len(pi) == 1:
            return torch.zeros(len(z), dtype=torch.long, device=z.device), z
        cdf = pi.cumsum(0)
        u = torch.special.ndtr(z[:, 0].double())                            # (n,) uniform in (0, 1)
        k = torch.searchsorted(cdf, u, right=True).clamp(max=len(pi) - 1)   # C_{k−1} ≤ u < C_k
        rest = ((u - (cdf[k] - pi[k])) / pi[k]).clamp(1e-15, 1 - 1e-15)
        return k, torch.cat([torch.special.ndtri(rest)[:, None].to(z.dtype), z[:, 1:]], 1)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator, latents=None, labels=None):
        """n draws x = μₖ + Lₖ z: float (n, 2) for a 2-D model, (n,) for a 1-D one; all randomness from `generator`
        (or given `latents` (n, D), which fix every draw)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 10**7:
            raise EngineError("n must be a whole number in 0..10^7")
        z, _ = self.sample_inputs(n, generator, latents, labels)          # unconditional: labels are refused
        k, z = self._component(z)
        m = self.mixture
        x = m.means[k] + (m.tril()[k] @ z[:, :, None])[:, :, 0]            # (n, D) in the frame
        x = m.loc + m.scale * x
        return x[:, 0] if self.config.dim == 1 else x

    # ------------------------------------------------------------------ training
    MEAN_LR: ClassVar[float] = 0.1     # a mixture's means step at this fraction of lr

    def configure_optimizers(self, lr: float | None = None) -> dict[str, torch.optim.Optimizer]:
        """Adam; a mixture's means at MEAN_LR × lr: Adam moves every parameter by up to lr a step whatever its gradient,
        and a mean's step must stay well under its component's σ̃, or it leaves its mode (a mode lost for good). One
        Gaussian has no mode to lose: its mean steps at lr (at a tenth, Adam's memory of the first, steep gradients
        leaves it short of the answer after the default run)."""
        m, lr = self.mixture, lr or self.config.lr
        mean_lr = lr * (self.MEAN_LR if self.config.components > 1 else 1.0)
        return {"model": torch.optim.Adam([{"params": [m.means], "lr": mean_lr},
                                           {"params": [m.log_chol, m.logits]}], lr=lr)}

    def losses(self, batch, *, generator: torch.Generator):
        """One phase: the mean NLL of the batch (N, D)."""
        nll = -self.mixture(batch[0]).mean()
        yield "model", nll
        return {"nll": nll.item()}

    # ------------------------------------------------------------------ evaluation
    def _data_name(self) -> str | None:
        """The dataset this model was fitted on, when it can be loaded again (a toy set, a .npy still on disk)."""
        for name in (self.config.dataset, (getattr(self, "meta", None) or {}).get("dataset")):
            if isinstance(name, str) and (name in TOY_SETS or (name.lower().endswith(".npy") and Path(name).is_file())):
                try:
                    if dataset_kind(name) == self.data_kind:
                        return name
                except ValueError:
                    pass
        return None

    def extra_metrics(self, n: int = 1000, seed: int = 0) -> dict:
        """Held-out NLL (nats per point) beside the closed-form single Gaussian's (fitted to the training split), when
        the dataset can be loaded; for a 1-D model also its mean and std, and those of n samples."""
        out = {}
        name = self._data_name()
        if name is not None:
            train, held = load_dataset(name, "train").x, load_dataset(name, "heldout").x
            if len(held):
                mean, cov = self.closed_form(train)
                one = torch.distributions.MultivariateNormal(mean, covariance_matrix=cov)
                out.update(heldout_nll=self.nll(held), n_heldout=len(held),
                           heldout_nll_one_gaussian=-float(one.log_prob(held.double()).mean()))
        if self.config.dim == 1:
            w, mu, cov = (t.double() for t in self.mixture_components())
            mean = float((w * mu[:, 0]).sum())
            var = float((w * (cov[:, 0, 0] + mu[:, 0] ** 2)).sum()) - mean ** 2
            s = self.sample(n, generator=make_generator(seed, self.device)).double()
            out.update(mean=mean, std=math.sqrt(max(var, 0.0)), sample_mean=float(s.mean()),
                       sample_std=float(s.std(unbiased=False)), n_samples=n)
        return out


# ----------------------------------------------------------------------------- the Gaussian tab's 1-D lesson
DEMO_SETS = ("normal", "bimodal", "skewed")
MAX_NUMBERS = 5000
MAX_NUMBERS_TEXT = 100_000          # characters of typed numbers, checked before any parsing
MAX_ABS = 1e6
START = (-1.5, math.log(2.0))       # the fit's first guess (μ̃, log σ̃) in the data's frame: off to the left, too wide
DISC_STEPS = 25                     # Newton steps of the discriminator (it has converged by ~10)
RIDGE = 1e-3


def demo_data(name: str, n: int, seed: int) -> torch.Tensor:
    """n numbers (float64 (n,)) from a built-in set, all randomness from `seed`: normal N(1.5, 0.7²), bimodal
    ½N(−1.5, 0.5²) + ½N(1.5, 0.6²), skewed exp(N(0, 0.6²)) (log-normal: a long right tail)."""
    if name not in DEMO_SETS:
        raise EngineError("data must be one of {options}, not {name!r}", options=", ".join(DEMO_SETS), name=name)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_NUMBERS:
        raise EngineError("N must be a whole number in 2..{hi}", hi=MAX_NUMBERS)
    g = make_generator(seed)
    eps = torch.randn(n, generator=g, dtype=torch.float64)
    if name == "normal":
        return 1.5 + 0.7 * eps
    if name == "bimodal":
        right = torch.rand(n, generator=g, dtype=torch.float64) < 0.5
        return torch.where(right, 1.5 + 0.6 * eps, -1.5 + 0.5 * eps)
    return (0.6 * eps).exp()


def parse_numbers(text: str) -> torch.Tensor:
    """Typed numbers, separated by commas, semicolons or spaces → float64 (N,): 2 to MAX_NUMBERS finite ones in ±10⁶."""
    if not isinstance(text, str):
        raise EngineError("the numbers must be text")
    if len(text) > MAX_NUMBERS_TEXT:
        raise EngineError("type at most {n:,} characters of numbers", n=MAX_NUMBERS_TEXT)
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not 2 <= len(parts) <= MAX_NUMBERS:
        raise EngineError("type 2 to {n:,} numbers separated by commas or spaces (got {got})", n=MAX_NUMBERS,
                          got=len(parts))
    try:
        x = torch.tensor([float(p) for p in parts], dtype=torch.float64)
    except ValueError:
        bad = next(p for p in parts if not _is_number(p))
        raise EngineError("{text!r} is not a number", text=bad[:20]) from None
    if not bool(torch.isfinite(x).all()) or float(x.abs().max()) > MAX_ABS:
        raise EngineError("the numbers must be finite and within ±10⁶")
    return x


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class NormalFit:
    """Where a 1-D gradient-descent fit stands: μ, σ (data units) after `step` steps, and the NLL at the last steps."""
    mu: float
    sigma: float
    step: int = 0
    curve: tuple[float, ...] = ()   # NLL (nats per point) at steps step − len + 1 … step
    MAX_CURVE: ClassVar[int] = 2000


def normal_nll(x: torch.Tensor, mu: float, sigma: float) -> float:
    """−(1/N) Σᵢ log N(xᵢ; μ, σ²), nats per number."""
    x = torch.as_tensor(x, dtype=torch.float64)
    return float(0.5 * LOG_2PI + math.log(sigma) + ((x - mu) ** 2).mean() / (2 * sigma ** 2))


def normal_pdf(x, mu: float, sigma: float) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float64)
    return torch.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def start_fit(x: torch.Tensor) -> NormalFit:
    """The first guess, placed by the data's frame (START), at step 0."""
    loc, scale = (float(t) for t in frame(x[:, None]))
    mu, sigma = loc + START[0] * scale, scale * math.exp(START[1])
    return NormalFit(mu, sigma, 0, (normal_nll(x, mu, sigma),))


def descend(x: torch.Tensor, fit: NormalFit, *, lr: float, steps: int) -> NormalFit:
    """`steps` steps of plain gradient descent θ ← θ − α ∂L/∂θ on the mean NLL L, θ = (μ̃, log σ̃) in the data's frame
    x̃ = (x − loc) / scale: ∂L/∂μ̃ = (μ̃ − mean x̃) / σ̃², ∂L/∂log σ̃ = 1 − mean (x̃ − μ̃)² / σ̃²."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 2):
        raise EngineError("the learning rate must be in (0, 2]")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= 100_000:
        raise EngineError("steps must be a whole number in 0..100000")
    loc, scale = (float(t) for t in frame(x[:, None]))
    z = (torch.as_tensor(x, dtype=torch.float64) - loc) / scale
    z1, z2 = float(z.mean()), float((z * z).mean())                   # the only statistics L needs
    m, s = (fit.mu - loc) / scale, math.log(fit.sigma / scale)
    curve = list(fit.curve)
    for _ in range(steps):
        var = math.exp(2 * s)
        v = z2 - 2 * m * z1 + m * m                                   # mean (x̃ − μ̃)²
        m, s = m - lr * (m - z1) / var, s - lr * (1 - v / var)
        m, s = min(max(m, -1e6), 1e6), min(max(s, -LOG_SIGMA_BOUND), LOG_SIGMA_BOUND)   # too large an α: finite
        v = z2 - 2 * m * z1 + m * m
        curve.append(0.5 * LOG_2PI + s + v / (2 * math.exp(2 * s)) + math.log(scale))
    return NormalFit(loc + m * scale, math.exp(s) * scale, fit.step + steps, tuple(curve[-NormalFit.MAX_CURVE:]))


def closed_form_fit(x: torch.Tensor) -> tuple[float, float]:
    """(μ̂, σ̂) of the maximum-likelihood normal: the mean and the 1/N standard deviation."""
    mean, var = Gaussian.closed_form(x)
    return float(mean), math.sqrt(float(var))


def sample_normal(mu: float, sigma: float, n: int, seed: int) -> torch.Tensor:
    """n draws from N(μ, σ²) (float64 (n,)), from `seed`."""
    return mu + sigma * torch.randn(n, generator=make_generator(seed), dtype=torch.float64)


@dataclass(frozen=True)
class LogisticD:
    """D(x) = σ(a x̃² + b x̃ + c), x̃ = (x − loc) / scale: how likely x is real rather than drawn from the fit."""
    a: float
    b: float
    c: float
    loc: float
    scale: float
    accuracy: float                 # on the real numbers and as many draws of the fit (0.5: it cannot tell)
    loss: float                     # its mean log-loss on them, nats (ln 2 = 0.693 when it cannot tell)

    def prob(self, x) -> torch.Tensor:
        z = (torch.as_tensor(x, dtype=torch.float64) - self.loc) / self.scale
        return torch.sigmoid(self.a * z * z + self.b * z + self.c)


def discriminate(real: torch.Tensor, mu: float, sigma: float, *, seed: int, steps: int = DISC_STEPS) -> LogisticD:
    """Train a logistic discriminator with quadratic features (so it can tell a too-wide normal from a too-narrow one)
    for `steps` Newton steps on its log-loss (+ a small ridge, finite even when the two sets can be separated) to tell
    `real` (N,) from N draws of N(μ, σ²) from `seed`. Deterministic."""
    real = torch.as_tensor(real, dtype=torch.float64)
    loc, scale = (float(t) for t in frame(real[:, None]))
    fake = sample_normal(mu, sigma, len(real), seed)
    z = ((torch.cat([real, fake]) - loc) / scale).clamp(-1e3, 1e3)              # (2N,)
    X = torch.stack([z * z, z, torch.ones_like(z)], 1)                           # (2N, 3) features
    y = torch.cat([torch.ones(len(real)), torch.zeros(len(fake))]).double()      # 1: real
    w, ridge = torch.zeros(3, dtype=torch.float64), RIDGE * torch.eye(3, dtype=torch.float64)
    for _ in range(steps):                  # w ← w − H⁻¹ ∇, ∇ = Xᵀ(p − y)/n + λw, H = Xᵀ diag(p(1−p)) X/n + λI
        p = torch.sigmoid(X @ w)
        grad = X.T @ (p - y) / len(y) + RIDGE * w
        hess = (X * (p * (1 - p))[:, None]).T @ X / len(y) + ridge
        w = w - torch.linalg.solve(hess, grad)
    logit = X @ w
    acc = float(((logit > 0).double() == y).double().mean())
    loss = float(torch.nn.functional.binary_cross_entropy_with_logits(logit, y))
    return LogisticD(*map(float, w), loc, scale, acc, loss)
