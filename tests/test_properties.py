"""Property-based hostile requests: every named event's handler, called directly with hypothesis-generated
inputs (NaN, ±Inf, 1e308, 1e30, negatives, wrong types, 100 kB strings, seed 2**64, n = 10**6,
steps = 10**9, None, lists, dicts, numeric strings) answers with a valid result or a gr.Error, never another
exception. A smaller set goes through the real server: a clear error, then the next normal request served."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import gradio as gr
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ui import autoregressive as AR
from ui import compare as CMP
from ui import diffusion as DF
from ui import gan as GAN
from ui import train as TR
from ui import vae as VAE

EXAMPLES = int(os.environ.get("LATENT_LAB_EXAMPLES", 30))    # CI: 30; a deeper hunt: 300
HOSTILE = [float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 1e30, -1e30, 2**64, 2**63, -1, -5, 0,
           10**6, 10**9, 10**30, 0.5, 1.5, True, False, None, "", " ", "x" * 100_000, "7", "7.0", "1e30", "nan",
           "inf", "-0", "３", "\x00", [], [1, 2], [[1]], {}, {"a": 1}, {"path": "/etc/passwd"}, b"bytes", (1,)]
NASTY = st.one_of(
    st.sampled_from(HOSTILE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-2**70, max_value=2**70),
    st.text(max_size=60),
    st.lists(st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=5)), max_size=4),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.none(), st.text(max_size=5)), max_size=3),
)
# numbers that are never valid for a count, a step count or a sample size (gates for the handlers whose
# valid inputs cost seconds: the metric table, DDPM-1000)
INVALID_COUNT = st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, 1e30, -1, 0, 10**6, 10**9,
                                 2**64, None, "", "x" * 100_000, [], {}, [1, 2], {"a": 1}, True, 1.5])


def arg(valid):
    """A hostile value, or now and then a cheap valid one (so hostile and valid arguments are mixed)."""
    return st.one_of(NASTY, NASTY, st.just(valid))


def hostile_args(valid):
    """Either one argument hostile and the rest valid (reaches each argument's own check), or many mixed."""
    one = st.builds(lambda i, v: [*valid[:i], v, *valid[i + 1:]], st.integers(0, len(valid) - 1), NASTY)
    return st.one_of(one, st.tuples(*[arg(v) for v in valid]).map(list))


def survives(fn, *args):
    """A valid result or gr.Error; anything else fails the property. Generators are drained."""
    try:
        out = fn(*args)
        if hasattr(out, "__anext__"):                  # the Train tab's Start streams as an async generator
            from conftest import sync_stream
            out = list(sync_stream(out))
        elif hasattr(out, "__next__"):
            out = list(out)
        return out
    except gr.Error as e:
        assert str(e.message).strip() and "Traceback" not in str(e.message)
        return None


PROPS = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 30, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# api_name → (handler, a cheap valid value per argument)
SLIDERS = [0.0] * (GAN.N_PCA + GAN.N_RAW)
HANDLERS = {
    "gan_render": (GAN.render, [7, "3", 1.0, 0.5, *SLIDERS[1:]]),
    "gan_grid": (GAN.grid, [7, "any", 1.0, 4]),
    "gan_png": (GAN.grid_png, [7, "any", 1.0, 4]),
    "gan_interpolate": (GAN.interpolate, [1, 2, "3", 3, 1.0]),
    "gan_2d": (GAN.scatter_2d, [7, 100]),
    "vae_render": (VAE.render, [0.0] * 16),
    "vae_random_latent": (VAE.random_latent, [7]),
    "vae_grid": (VAE.grid, [7, 4, 1.0]),
    "vae_png": (VAE.grid_png, [7, 4, 1.0]),
    "diffusion_render": (DF.render, [7, "3", "euler", 2, 0.0, 2.0, 1]),
    "diffusion_watch": (DF.watch, [7, "3", "euler", 2, 0.0, 2.0, 1]),
    "diffusion_forward": (DF.forward, ["5", 250, 7]),
    "diffusion_particles": (DF.particles, [7, 100, 2]),
    "autoregressive_sample": (AR.generate, [7, 1.0, 0, 1.0, "ja", 4]),
    "autoregressive_step_start": (AR.step_start, ["ja", 1.0, 0, 1.0]),
    "autoregressive_step": (AR.step_sample, ["ja", 7, 1.0, 0, 1.0]),
    "autoregressive_force": (AR.step_force, ["ja", "a", 1.0, 0, 1.0]),
    "autoregressive_score": (AR.score, ["maria"]),
    "compare_side_by_side": (CMP.side_by_side, [7, "3"]),
}


@pytest.mark.parametrize("api", list(HANDLERS))
def test_every_handler_answers_hostile_inputs_with_a_result_or_gr_error(api):
    fn, valid = HANDLERS[api]

    @PROPS
    @given(hostile_args(valid))
    def prop(args):
        survives(fn, *args)

    for i in range(len(valid)):                  # and every listed hostile value in every argument, exhaustively
        for v in HOSTILE:
            survives(fn, *valid[:i], v, *valid[i + 1:])
    prop()
    assert survives(fn, *valid) is not None, f"{api}: the valid call itself failed"


def _stroke() -> np.ndarray:
    a = np.full((200, 200, 3), 255, np.uint8)
    a[40:160, 90:110] = 0
    return a


def _sketch():
    return st.one_of(
        NASTY,
        st.just(_stroke()),
        st.builds(lambda shape, fill: np.full(shape, fill), st.sampled_from([(0,), (5,), (0, 0), (3, 3), (28, 28),
                  (28, 28, 1), (28, 28, 2), (28, 28, 5), (5000, 2, 3), (2, 2, 2, 2)]),
                  st.sampled_from([0, 255, -1, 1e30, float("nan"), float("inf")])),
        st.builds(lambda c, layers: {"composite": c, "layers": layers, "background": None},
                  st.one_of(st.none(), NASTY, st.just(np.zeros((20, 20, 4), np.uint8))),
                  st.one_of(st.none(), NASTY, st.just([np.zeros((20, 20, 4), np.uint8)]))),
    )


@PROPS
@given(_sketch(), arg(7))
def test_vae_encode_and_resample_hostile_drawings(sketch, seed):
    survives(VAE.encode_drawing, sketch, seed)
    survives(VAE.resample, sketch)


def test_vae_encode_valid_drawing():
    assert survives(VAE.encode_drawing, _stroke(), 7) is not None


@PROPS
@given(arg("held-out example"), arg("1"), _sketch(), arg("my drawing"), arg("7"), _sketch(), arg(3))
def test_vae_interpolate_hostile(src_a, cls_a, sk_a, src_b, cls_b, sk_b, frames):
    survives(VAE.interpolate, src_a, cls_a, sk_a, src_b, cls_b, sk_b, frames)


@PROPS
@given(NASTY)
def test_vae_map_click_hostile_event_data(index):
    evt = gr.SelectData(None, {"index": index, "value": None})
    survives(VAE.map_click, evt)


@PROPS
@given(st.tuples(INVALID_COUNT, arg("3"), arg(2.0)))
def test_diffusion_compare_hostile(args):
    assert survives(DF.compare, *args) is None


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(INVALID_COUNT)
def test_compare_table_histogram_and_mine_hostile(n):
    class Request:
        session_hash = "nobody"
    for fn in (CMP.metric_table, CMP.recompute, CMP.collapse_histogram):
        assert survives(fn, n) is None
    assert survives(CMP.evaluate_mine, n, Request()) is None


TRAIN_VALID = dict(family="gan", dataset="8gaussians", upload=None, lr=0, batch=8, steps=2, latent=0, loss="bce",
                   n_critic=0, beta=1.0, schedule="cosine", timesteps=0, n_layer=0, n_embd=0, seed=0, every=1, components=0)


@PROPS
@given(hostile_args(list(TRAIN_VALID.values())), st.one_of(st.none(), NASTY))
def test_train_start_hostile_settings(settings_, state):
    survives(TR.start, state, *settings_)


def test_train_start_valid_settings_run():
    outs = survives(TR.start, None, *TRAIN_VALID.values())
    assert outs and "step 2 / 2" in outs[-1][1]


# ----------------------------------------------------------------------------- through the real server
def _post(url, api, data):
    body = json.dumps({"data": data, "session_hash": "props"}, allow_nan=True).encode()
    req = urllib.request.Request(f"{url}/gradio_api/run/{api}", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


HTTP_CASES = {       # api → (a hostile payload, the normal one after it)
    "gan_grid": ([7, "any", 1.0, 10**6], [7, "any", 1.0, 4]),
    "gan_interpolate": ([0, 2**64, "3", 5, 1.0], [0, 1, "3", 3, 1.0]),
    "gan_2d": ([0, "x" * 100_000], [0, 100]),
    "gan_interp_point": ([0, 1, "3", 1.0, float("nan")], [0, 1, "3", 1.0, 0.25]),
    "gan_render": ([7, [1, 2], 1.0] + [0.0] * 24, [7, "3", 1.0] + [0.0] * 24),
    "vae_render": ([float("nan")] + [0.0] * 15, [0.5] + [0.0] * 15),
    "vae_grid": ([7, 4, float("inf")], [7, 4, 1.0]),
    "vae_random_latent": ([-1], [3]),
    "diffusion_render": ([7, "3", "euler", 10**9, 0.0, 2.0, 1], [7, "3", "euler", 2, 0.0, 2.0, 1]),
    "diffusion_forward": (["5", 1e308, 7], ["5", 250, 7]),
    "diffusion_particles": ([7, 10**6, 2], [7, 100, 2]),
    "autoregressive_sample": ([7, 1.0, 0, 1.0, "x" * 100_000, 4], [7, 1.0, 0, 1.0, "", 4]),
    "autoregressive_score": ([{"a": 1}], ["maria"]),
    "autoregressive_step_start": ([None, -1e30, 0, 1.0], ["ja", 1.0, 0, 1.0]),
    "compare_side_by_side": ([2**64, "3"], [7, "3"]),
    "compare_table": ([10**9], None),
    "train_start": ([None, "gan", "8gaussians", None, 0, 8, 10**9, 0, "bce", 0, 1.0, "cosine", 0, 0, 0, 0, 1, 0],
                    [None, "gan", "8gaussians", None, 0, 8, 2, 0, "bce", 0, 1.0, "cosine", 0, 0, 0, 0, 1, 0]),
}


@pytest.mark.parametrize("api", list(HTTP_CASES))
def test_hostile_request_over_http_then_a_normal_one_is_served(app_url, api):
    bad, good = HTTP_CASES[api]
    status, body = _post(app_url, api, bad)
    assert status != 200 and body.get("error") and "Traceback" not in body["error"], (api, status, body)
    if good is not None:
        status, body = _post(app_url, api, good)
        assert status == 200 and body.get("data"), (api, body)
