"""CLI: python -m generators sample|train|eval|export FAMILY …  (bad arguments → one line, exit code 2)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

MAX_SAMPLES = 10_000
MAX_STEPS = 10_000_000


def _positive_int(limit: int):
    def parse(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{s!r} is not a whole number") from None
        if not 1 <= v <= limit:
            raise argparse.ArgumentTypeError(f"must be in 1..{limit}, got {v}")
        return v
    return parse


def _finite_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a number") from None
    if not np.isfinite(v):
        raise argparse.ArgumentTypeError("must be a finite number")
    return v


def _seed(s: str) -> int:
    from .base import check_seed
    try:
        return check_seed(int(s))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


_PARSERS = {int: int, float: _finite_float, str: str}


def _add_config_flags(p: argparse.ArgumentParser, config_cls) -> list[str]:
    """Every field of the family's config becomes a flag (--latent-dim, --loss, …) unless already taken."""
    names = []
    taken = {a.dest for a in p._actions}
    for f in dataclasses.fields(config_cls):
        if f.name in taken or f.type not in ("int", "float", "str", int, float, str):
            continue
        typ = {"int": int, "float": float, "str": str}.get(f.type, f.type)
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=_PARSERS[typ], default=None,
                       help=f"model config: {f.name} (default for the dataset: {f.default!r})")
        names.append(f.name)
    return names


# flag → (Recipe field, type, help); --lr-schedule, since diffusion's config already has a (noise) --schedule
RECIPE_FLAGS = {
    "warmup": ("warmup", int, "steps of linear learning-rate warmup"),
    "lr-schedule": ("schedule", str, "learning rate after the warmup: constant | cosine"),
    "lr-horizon": ("horizon", int, "the step where cosine reaches 0.1×lr (0: this run's last step)"),
    "grad-clip": ("grad_clip", float, "clip each optimiser's gradients to this total norm (0: off)"),
    "ema-decay": ("ema_decay", float, "decay of the weights' EMA, which checkpoints and previews use (0: off)"),
}


def _add_recipe_flags(p: argparse.ArgumentParser) -> None:
    for flag, (_, typ, help_) in RECIPE_FLAGS.items():
        p.add_argument("--" + flag, dest="recipe_" + flag.replace("-", "_"), type=_PARSERS[typ], default=None,
                       help=help_ + " (default: the family's for the dataset; with --resume, the checkpoint's)")


def _recipe(args, base):
    """`base` (the default recipe, or the resumed checkpoint's) with the recipe flags that were given."""
    given = {field: getattr(args, "recipe_" + flag.replace("-", "_")) for flag, (field, _, _) in RECIPE_FLAGS.items()}
    return dataclasses.replace(base, **{k: v for k, v in given.items() if v is not None})


def build_parser() -> argparse.ArgumentParser:
    from . import REGISTRY, DEFAULT_CHECKPOINT

    ap = argparse.ArgumentParser(prog="python -m generators", description="Latent Lab: sample, train and "
                                 f"evaluate generative models ({', '.join(c.TITLE for c in REGISTRY.values())}).")
    sub = ap.add_subparsers(dest="command", required=True, metavar="{sample,train,eval,export,data}")

    sp = sub.add_parser("sample", help="draw samples from a checkpoint and write them to a file")
    fsub = sp.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name, cls in REGISTRY.items():
        p = fsub.add_parser(name, help=f"sample from a {name} checkpoint")
        p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT[name],
                       help=f"shipped checkpoint name or path (default {DEFAULT_CHECKPOINT[name]})")
        p.add_argument("--n", type=_positive_int(MAX_SAMPLES), default=16, help=f"number of samples (1..{MAX_SAMPLES})")
        p.add_argument("--seed", type=_seed, default=0, help="random seed (same seed → identical output)")
        p.add_argument("--label", type=int, default=None, help="class to generate (conditional models only)")
        p.add_argument("--device", default="cpu", help="auto | cpu | cuda (default cpu: byte-identical output)")
        p.add_argument("--out", required=True,
                       help=".png (grid, grey or colour), .npy (uint8 N×H×W grey images, N×H×W×3 colour ones, float32 "
                            "N×2 points or N numbers), .gif, or .txt (text); melodies: .mid, .wav, .abc, .txt "
                            "(note names) or .png (piano rolls)")
        for opt, (typ, default, help_) in getattr(cls, "SAMPLE_OPTIONS", {}).items():
            if typ is bool:                                        # a switch (--rhyme), off unless given
                p.add_argument("--" + opt.replace("_", "-"), dest=opt, action="store_true", help=help_)
            else:
                p.add_argument("--" + opt.replace("_", "-"), dest=opt, type=_PARSERS[typ], default=default,
                               help=help_)

    tp = sub.add_parser("train", help="train a model and save a checkpoint (tqdm progress)")
    fsub = tp.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name, cls in REGISTRY.items():
        p = fsub.add_parser(name, help=f"train a {name}")
        p.add_argument("--dataset", default=cls.DEFAULT_DATASET,
                       help="mnist, mnist-full, emoji (32×32 colour, 9 groups), a 2D set (8gaussians, 25gaussians, "
                            "ring, spiral, moons, swissroll, checkerboard), names, surnames, melodies (han, german, "
                            "lorraine, luxembourg: Essen folk songs, parsed once into the cache), a .txt file (one "
                            "item per line), a .zip of images, a .npy of N×2 points or N numbers, or an .abc or .mid "
                            f"of melodies (default {cls.DEFAULT_DATASET})")
        p.add_argument("--steps", type=_positive_int(MAX_STEPS), default=None,
                       help="training steps (default: the family's for the dataset, e.g. 2000)")
        p.add_argument("--batch-size", type=_positive_int(65536), default=None,
                       help="batch size (default: the family's for the dataset, e.g. 64)")
        p.add_argument("--lr", type=_finite_float, default=None, help="learning rate (default: the family's)")
        p.add_argument("--seed", type=_seed, default=0, help="random seed for init and batches")
        p.add_argument("--device", default="auto", help="auto (CUDA when present) | cpu | cuda")
        p.add_argument("--out", default=None, help="checkpoint path (default checkpoints/runs/<family>-<dataset>)")
        p.add_argument("--checkpoint-every", type=int, default=1000, help="also save every K steps (0: only at the end)")
        p.add_argument("--sample-every", type=int, default=0, help="draw preview samples every K steps (0: never)")
        p.add_argument("--resume", default=None,
                       help="checkpoint to continue from (EMA and raw weights, optimizer, step, recipe)")
        p.add_argument("--weights-only", action="store_true",
                       help="leave the raw weights and optimizer state out of the checkpoints (smaller; no --resume)")
        p.add_argument("--time-limit", type=_finite_float, default=None, metavar="SECONDS",
                       help="stop at this wall-clock time and write the checkpoint")
        _add_recipe_flags(p)
        p.set_defaults(config_fields=_add_config_flags(p, cls.Config))

    ep = sub.add_parser("eval", help="quality measures of a checkpoint, as JSON on stdout")
    fsub = ep.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name in REGISTRY:
        p = fsub.add_parser(name, help=f"evaluate a {name} checkpoint")
        p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT[name], help="shipped checkpoint name or path")
        p.add_argument("--n", type=_positive_int(MAX_SAMPLES), default=1000, help="number of samples to evaluate")
        p.add_argument("--seed", type=_seed, default=0, help="random seed")
        p.add_argument("--device", default="auto", help="auto | cpu | cuda")

    xp = sub.add_parser("export", help="write a GAN/VAE decoder as ONNX (for the browser render path), "
                                       "checked against PyTorch; a DCGAN's GANSpace directions go into its JSON")
    xp.add_argument("checkpoint", help="shipped checkpoint name (gan-mnist, vae-mnist, …) or path")
    xp.add_argument("--out", default=None, help="the .onnx file (default: beside the checkpoint, <name>.onnx)")
    xp.add_argument("--force", action="store_true", help="export again even when the cached .onnx is up to date")
    dp = sub.add_parser("data", help="parse an Essen melody collection once into the cache (music21; Han ~1 min)")
    dp.add_argument("collection", choices=("han", "german", "lorraine", "luxembourg", "all"),
                    help="which songs (all: every collection)")
    dp.add_argument("--force", action="store_true", help="parse again even when the cache has them")
    return ap


def cmd_data(args) -> None:
    from tqdm import tqdm

    from . import music

    for c in music.COLLECTIONS if args.collection == "all" else (args.collection,):
        if music.is_cached(c) and not args.force:
            print(f"{c}: {len(music.load_songs(c))} songs already in {music.cache_path(c)}", file=sys.stderr)
            continue
        bars: dict = {}

        def progress(k, files, i, n, c=c):
            bar = bars.get(k) or bars.setdefault(k, tqdm(total=n, desc=f"{c} {k + 1}/{files}", unit="song"))
            bar.update(i - bar.n)
        path = music.build_collection(c, progress=progress)
        for bar in bars.values():
            bar.close()
        print(f"{c}: {len(music.load_songs(c))} songs in {path}", file=sys.stderr)


def write_samples(samples, out: Path, *, model=None, frames=None) -> None:
    """Images → .png grid / .npy uint8 (N×H×W grey, N×H×W×3 RGB) / .gif; points → .npy float32 / .png scatter;
    text → .txt."""
    import torch

    from .base import _atomic_write, gif_bytes, make_grid, png_bytes, to_uint8

    suffix = out.suffix.lower()
    if model is not None and model.data_kind == "melody":
        _atomic_write(out, melody_file(samples, suffix, model))
        return
    if isinstance(samples, list):
        if suffix not in (".txt",):
            raise ValueError("text samples are written to a .txt file")
        _atomic_write(out, ("\n".join(samples) + "\n").encode())
        return
    assert torch.is_tensor(samples)
    if samples.dim() <= 2:   # points (N×2) or values (N)
        pts = samples.detach().cpu().float().numpy()
        if suffix == ".npy":
            buf = _npy_bytes(pts.astype(np.float32))
            _atomic_write(out, buf)
        elif suffix == ".png" and pts.ndim == 2:
            from .plots import scatter_png
            _atomic_write(out, scatter_png(pts))
        else:
            raise ValueError("2D points are written to .npy or .png" if pts.ndim == 2 else
                             "numbers are written to .npy")
        return
    imgs = to_uint8(samples)
    if suffix == ".npy":
        _atomic_write(out, _npy_bytes(imgs))
    elif suffix == ".png":
        _atomic_write(out, png_bytes(make_grid(imgs)))
    elif suffix == ".gif":
        if frames is None:
            raise ValueError("GIF output needs a trajectory: use it with the diffusion family")
        _atomic_write(out, gif_bytes(frames))
    else:
        raise ValueError(f"unknown output type {suffix!r} (use .png, .npy or .gif)")


MELODY_OUT = (".mid", ".wav", ".abc", ".txt", ".png")


def melody_file(samples, suffix: str, model) -> bytes:
    """A melody model's samples as one file: .mid (one after another), .wav (likewise, a bar of silence between),
    .abc (one tune each), .txt (note names, a melody a line) or .png (their piano rolls)."""
    from . import music, music_files
    from .base import make_grid, png_bytes
    from .melody_metrics import melodies_of

    mels = [music.from_text(s) for s in samples] if isinstance(samples, list) else melodies_of(samples)
    if suffix == ".mid":
        return music_files.midi_bytes(mels)
    if suffix == ".wav":
        gap = np.zeros(8, np.int8)
        return music_files.wav_bytes(music_files.synthesize(np.concatenate([x for m in mels for x in (m, gap)][:-1])))
    if suffix == ".abc":
        return music_files.abc_text(mels, title=str(getattr(model, "meta", {}).get("name", "Latent Lab"))).encode()
    if suffix == ".txt":
        return ("\n".join(music.format_notes(m) for m in mels) + "\n").encode()
    if suffix == ".png":
        return png_bytes(make_grid(np.stack([music.roll_image(m, music.ROLL_STEPS if len(m) <= 32 else len(m), 3)
                                             for m in mels]), nrow=2 if len(mels) > 1 else 1))
    raise ValueError(f"melodies are written to {', '.join(MELODY_OUT)}, not {suffix!r}")


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def cmd_sample(args) -> None:
    from . import load
    from .base import make_generator

    model = load(args.checkpoint, device=args.device, family=args.family)
    g = make_generator(args.seed, model.device)
    opts = {k: getattr(args, k) for k in getattr(type(model), "SAMPLE_OPTIONS", {})}
    if model.data_kind == "melody" and opts.get("prefix"):          # a melody's start is typed as note names
        from . import music
        opts["prefix"] = music.to_text(music.parse_notes(opts["prefix"], max_steps=model.config.block_size - 2))
    out = Path(args.out)
    if args.label is not None and not (model.num_classes and 0 <= args.label < model.num_classes):
        raise ValueError(f"label must be in 0..{model.num_classes - 1}" if model.num_classes
                         else "this model is unconditional: it takes no --label")
    frames = None
    if out.suffix.lower() == ".gif" and hasattr(model, "sample_frames"):
        samples, frames = model.sample_frames(args.n, generator=g, labels=args.label, **opts)
    else:
        samples = model.sample(args.n, generator=g, labels=args.label, **opts)
    write_samples(samples, out, model=model, frames=frames)
    print(f"wrote {args.n} samples to {out}", file=sys.stderr)


def cmd_train(args) -> None:
    from tqdm import tqdm

    from . import REGISTRY, build
    from .base import CHECKPOINT_DIR, resolve_device
    from .data import load_dataset
    from .recipe import load_run, run_defaults
    from .train import train

    rank, world = _init_distributed(args.device)
    device = resolve_device(args.device) if world == 1 else _rank_device(args.device)
    overrides = {k: getattr(args, k) for k in args.config_fields if getattr(args, k) is not None}
    if args.lr is not None and "lr" in {f.name for f in dataclasses.fields(REGISTRY[args.family].Config)}:
        overrides["lr"] = args.lr            # the config records the learning rate actually used
    if args.resume:
        if set(overrides) - {"lr"}:
            raise ValueError("--resume takes the model config from the checkpoint: drop the config flags")
        saved = load_run(args.resume, device=device, family=args.family, lr=args.lr)   # as the Train tab's upload
        model, state = saved.model, saved.state             # EMA in the model, raw + optimizer in the state
        dataset_name = model.meta.get("dataset", args.dataset)
    else:
        dataset_name = args.dataset
        model = build(args.family, dataset_name, seed=args.seed, **overrides).to(device)
        state = None
    defaults = run_defaults(model, dataset_name)           # batch, steps and (from scratch) recipe unless given
    recipe = _recipe(args, state.recipe if state else defaults.recipe)
    dataset = load_dataset(dataset_name, "train")
    out = Path(args.out) if args.out else CHECKPOINT_DIR / "runs" / f"{args.family}-{Path(dataset_name).stem}"
    events = train(model, dataset, steps=args.steps or defaults.steps, lr=args.lr, seed=args.seed,
                   batch_size=args.batch_size or defaults.batch_size,
                   sample_every=args.sample_every if rank == 0 else 0, checkpoint=out if rank == 0 else None,
                   checkpoint_every=args.checkpoint_every, state=state, recipe=recipe, time_limit=args.time_limit,
                   save_optimizer=not args.weights_only)
    if rank != 0:                 # only rank 0 writes the checkpoint and the progress
        for _ in events:
            pass
        return
    bar = None
    for ev in events:
        if ev["event"] == "start":
            where = ev["device"] + (f" ×{ev['world_size']} ranks" if ev["world_size"] > 1 else "")
            bar = tqdm(total=ev["total"], initial=ev["step"], desc=f"{args.family} on {where}", unit="step")
        elif ev["event"] == "step":
            bar.update(1)
            if ev["step"] % 10 == 0:
                bar.set_postfix({k: f"{v:.3f}" for k, v in ev["losses"].items()})
        elif ev["event"] == "checkpoint":
            bar.write(f"checkpoint at step {ev['step']}: {ev['path']}")
        elif ev["event"] == "done":
            bar.close()
            print(f"done: {ev['step']} steps in {ev['elapsed']:.1f} s on {device}"
                  + (f" ×{world} ranks" if world > 1 else "")
                  + (" (stopped at the time limit)" if ev["stopped"] == "time_limit" else ""), file=sys.stderr)


def _init_distributed(device: str) -> tuple[int, int]:
    """Under torchrun (WORLD_SIZE > 1): join the process group (NCCL on GPUs, gloo on CPU) → (rank, world)."""
    import os

    import torch.distributed as dist
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        from .device import ddp_backend
        dist.init_process_group(ddp_backend(device))
        _OWN_GROUP.append(True)           # ours to leave at the end; a caller's own group stays theirs
    return dist.get_rank(), world


_OWN_GROUP: list = []


def _rank_device(device: str):
    from .device import ddp_device
    return ddp_device(device)


def cmd_eval(args) -> None:
    from . import load
    from .metrics import evaluate

    model = load(args.checkpoint, device=args.device, family=args.family)
    print(json.dumps(evaluate(model, n=args.n, seed=args.seed), indent=2, sort_keys=True))


def cmd_export(args) -> None:
    from .export import TOLERANCE, export, store_derived

    if args.out is not None and not args.out.endswith(".onnx"):
        raise ValueError("--out must name a .onnx file")
    cpath = store_derived(args.checkpoint) if args.out is None else None       # beside the checkpoint only
    if cpath is not None:
        print(f"wrote what loading would compute (GANSpace directions, a fitted prior) into {cpath}", file=sys.stderr)
    path, diff = export(args.checkpoint, args.out, force=args.force)
    print(f"wrote {path}: max |onnxruntime - torch| = {diff:.2e} on random latents (limit {TOLERANCE:g})",
          file=sys.stderr)


def main(argv=None) -> int:
    from .base import CheckpointError

    args = build_parser().parse_args(argv)
    try:
        {"sample": cmd_sample, "train": cmd_train, "eval": cmd_eval, "export": cmd_export,
         "data": cmd_data}[args.command](args)
    except (ValueError, CheckpointError, FileNotFoundError, NotImplementedError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if args.command == "train" and _OWN_GROUP:
            _OWN_GROUP.clear()
            import torch.distributed as dist
            if dist.is_available() and dist.is_initialized():
                try:        # leave together: a rank that tore gloo down while rank 0 still saved aborted
                    dist.barrier()      # once in six runs ("terminate called without an active exception")
                except RuntimeError:
                    pass                # a peer already failed; its error is the one to report
                dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
