"""python -m bench.rhyme [--checkpoint NAME_OR_PATH] [--n 200] — do the poems rhyme? (issue 30)

Prints the share of quatrains whose lines 2 and 4 end in rhyming characters (generators/rhyme.py) for the
corpus, for the corpus with line 4 taken from another poem (chance), and for a poem model's free samples (form
mask on, seed 0, T = 1); then the rhyme constraint: its rate (100% by construction; form 7 also line 1/2) and
its cost, measured two ways under the same model:
  * mean NLL per character (end token included) of constrained samples against unconstrained ones;
  * the probability mass the rhyme mask removes where it acts: at each constrained line end of the constrained
    samples, 1 − p(allowed rhyme characters | prefix), p the model's distribution at T = 1 after the form mask.
Printed figures, never pass/fail. Someone retraining the model reruns this with --checkpoint.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def mask_cost(model, poems: list[str], form: int) -> tuple[float, float]:
    """(mean probability mass removed, mean −log of the mass kept, nats) at the constrained line ends."""
    lines = (1, 3) if form == 7 else (3,)
    removed, nats = [], []
    for p in poems:
        for li in lines:
            prefix = p[:(li + 1) * (form + 1) - 2]                # up to the line's last character
            _, form_only = model.next_distribution(prefix, form=form)
            allowed = model.allowed_next(prefix, form=form, rhyme=True)
            kept = float(form_only[allowed].sum())
            removed.append(1 - kept)
            nats.append(-math.log(max(kept, 1e-300)))
    return statistics.fmean(removed), statistics.fmean(nats)


def per_char_nll(model, poems: list[str]) -> float:
    nll = model.nll(poems)
    chars = [len(p) + 1 for p in poems]
    return sum(a * c for a, c in zip(nll, chars)) / sum(chars)


def main(argv=None) -> None:
    import torch

    import generators
    from generators.base import make_generator
    from generators.data import load_dataset
    from generators.rhyme import follows_rhyme, rhyme_rate, shuffled_rate

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="autoregressive-poems", help="a name in checkpoints/ or a path")
    p.add_argument("--n", type=int, default=200, help="samples per form")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    corpus = load_dataset("poems", "train").texts
    print(f"corpus (poems, train, {len(corpus):,} quatrains): lines 2/4 rhyme {rhyme_rate(corpus):.1%}; "
          f"line 4 from another poem {shuffled_rate(corpus, args.seed):.1%}")
    model = generators.load(args.checkpoint, device="cpu")
    if not model.writes_poems:
        raise SystemExit(f"{args.checkpoint} is not a poem model (its vocabulary has no ， and 。)")
    print(f"{args.checkpoint}: {model.num_parameters():,} parameters; {args.n} samples a row, seed {args.seed}, T = 1")
    print(f"{'form':>4s} {'free 2/4':>9s} {'rhyme 2/4':>9s} {'rhyme all':>9s} {'NLL free':>9s} {'NLL rhyme':>9s} "
          f"{'mass cut':>9s} {'nats cut':>9s}")
    for form in (5, 7):
        free = model.sample(args.n, generator=make_generator(args.seed), form=form)
        held = model.sample(args.n, generator=make_generator(args.seed), form=form, rhyme=True)
        removed, nats = mask_cost(model, held, form)
        print(f"{form:4d} {rhyme_rate(free):9.1%} {rhyme_rate(held):9.1%} "
              f"{sum(map(follows_rhyme, held)) / len(held):9.1%} {per_char_nll(model, free):9.3f} "
              f"{per_char_nll(model, held):9.3f} {removed:9.1%} {nats:9.2f}")
    print("free/rhyme 2/4: lines 2 and 4 rhyme; rhyme all: also 1/2 in form 7; NLL: nats per character under the "
          "model; mass/nats cut: what the rhyme mask removes at each constrained line end (after the form mask)")


if __name__ == "__main__":
    main()
