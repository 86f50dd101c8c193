"""A training run as data (generators/run.py): advanced in chunks, through its pickled (checkpoint) form as a
ZeroGPU call passes it, it ends where one uninterrupted run ends; a stop request ends a chunk at a step."""
from __future__ import annotations

import pickle
import threading

import pytest
import torch

import generators
from generators.data import load_dataset
from generators.run import TrainRun, advance, clear_stop, request_stop, train_chunk


def _run(family="gan", dataset="8gaussians", steps=50, **kw):
    model = generators.build(family, dataset, seed=0, **kw)
    return TrainRun.start(model, load_dataset(dataset, "train"), steps=steps, batch_size=32, seed=0, sample_every=20,
                          n_samples=8)


def _previews(updates):
    return [(step, x) for u in updates for step, x in u["previews"]]


@pytest.mark.parametrize("family,dataset,steps,kw", [("gan", "8gaussians", 30, {"hidden": 32}),
                                                     ("vae", "mnist", 10, {"latent_dim": 2, "hidden": 32, "width": 4})])
def test_chunks_through_pickles_end_where_one_run_ends(family, dataset, steps, kw):
    """Weights, EMA, optimiser state, schedule and curve come back bit for bit; previews at the same steps."""
    one = _run(family, dataset, steps=steps, **kw)
    whole = _previews(advance(one))
    run, parts, chunks = _run(family, dataset, steps=steps, **kw), [], 0
    while not run.done:
        run = pickle.loads(pickle.dumps(run))          # what crosses into a GPU call and back
        parts += _previews(advance(run, steps=4))
        chunks += 1
    assert chunks == -(-steps // 4) and run.step == one.step == steps and run.curve == one.curve
    for (k, a), b in zip(one.model.state_dict().items(), run.model.state_dict().values()):
        assert torch.equal(a, b), k
    for k in one.state.raw:
        assert torch.equal(one.state.raw[k], run.state.raw[k]), k
    assert [s for s, _ in whole] == [s for s, _ in parts] == sorted({*range(20, steps + 1, 20), steps})
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(whole, parts))
    assert run.state.recipe.horizon == one.state.recipe.horizon


def test_a_gpu_chunk_gives_the_run_back_on_the_cpu_and_a_stop_request_ends_it_at_a_step():
    run = _run(steps=100_000)
    token = "test-run-stop"
    clear_stop(token)
    chunk = train_chunk(run, 60.0, token)              # here: the function itself, on the CPU
    first = next(chunk)
    threading.Timer(0.2, request_stop, (token,)).start()
    rest = list(chunk)
    clear_stop(token)
    assert rest[-2]["end"] == "stopped" and rest[-1]["run"] is run and 0 < run.step < 100_000
    assert first["device"] == "cpu" and run.model.device.type == "cpu"


def test_a_run_refuses_nonsense():
    with pytest.raises(ValueError, match="positive"):
        _run(steps=0)
    with pytest.raises(ValueError, match="stop token"):
        request_stop("../etc")
