"""The Train tab's hand-offs: an uploaded checkpoint continues training (weights, optimizer state, step count,
loss curve); "Explore this model" makes the family tabs draw with it for that session only; the live 2D views
for diffusion (particle paths) and the VAE (encoded cloud + reconstructions)."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch
from gradio.context import LocalContext

from ui import common as C
from ui import gan as G
from ui import train as T
from ui import vae as V

from conftest import sync_stream

SETTINGS = dict(family="gan", dataset="8gaussians", upload=None, lr=None, batch=32, steps=6, latent=4, loss="bce",
                n_critic=None, beta=1.0, schedule=None, timesteps=None, n_layer=None, n_embd=None, seed=0, every=3,
                components=None)


def settings(**kw):
    return list({**SETTINGS, **kw}.values())


class Req:
    def __init__(self, session):
        self.session_hash = session


def run_to_end(state, **kw):
    return list(sync_stream(T.start(state, *settings(**kw))))[-1][0]


def test_uploaded_checkpoint_continues_its_step_count_optimizer_and_curve():
    r = run_to_end(None)
    path = T.download(r)
    r2, status = T.upload_checkpoint(None, [path])
    assert "step 6" in status and "Start continues" in status and "fresh optimizer" not in status
    for name, opt in r.optimizers.optimizers.items():                 # Adam moments came back with the file
        for p, p2 in zip(opt.param_groups[0]["params"], r2.optimizers.optimizers[name].param_groups[0]["params"]):
            assert torch.equal(opt.state[p]["exp_avg"], r2.optimizers.optimizers[name].state[p2]["exp_avg"])
    old_curve = [(s, v) for _, k, s, v in r2.history if k.endswith("d_loss")]
    assert [s for s, _ in old_curve] == list(range(1, 7))            # the loss curve came back too
    r2 = run_to_end(r2, steps=4, latent=None)
    assert r2.step == 10 and r2.total == 10 and r2.phase == "finished"
    steps = [s for _, k, s, _ in r2.history if k.endswith("d_loss")]
    assert steps == list(range(1, 11))                                # one curve, continued where it stopped
    assert "step 10 / 10" in T.status_text(r2)


def test_continuing_needs_data_of_the_models_kind_and_survives_a_bad_optimizer_state(tmp_path):
    r = run_to_end(None)
    path = T.download(r)
    r2, _ = T.upload_checkpoint(None, [path])
    with pytest.raises(T.gr.Error, match="points data"):
        list(sync_stream(T.start(r2, *settings(dataset="mnist"))))
    # the same file with its optimizer state cut to the wrong shapes: loads, continues with a fresh optimizer
    with zipfile.ZipFile(path) as zf:
        blobs = {n: zf.read(n) for n in zf.namelist()}
    from safetensors.torch import load, save
    wname = next(n for n in blobs if n.endswith(".safetensors"))
    tensors = load(blobs[wname])
    tensors = {k: (v[:1] if k.startswith("extra.") and v.dim() else v) for k, v in tensors.items()}
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr(wname, save(tensors))
        cname = next(n for n in blobs if n.endswith(".json"))
        meta = json.loads(blobs[cname])
        meta["curve"] = [["x", 1, 2]]                                    # a malformed curve: ignored
        zf.writestr(cname, json.dumps(meta))
    r3, status = T.upload_checkpoint(None, [str(bad)])
    assert "fresh optimizer" in status and r3.history == []
    r3 = run_to_end(r3, steps=2)
    assert r3.step == 8 and r3.phase == "finished"


def test_explored_model_draws_in_its_family_tab_for_that_session_only():
    data_model = T.build_model("gan", "mnist", T.load_dataset("mnist", "train"), {}, 3)
    r = T.Run(model=data_model, family="gan", dataset=T.Dataset("mnist", "image"), step=0)
    sliders = [0.0] * (G.N_PCA + G.N_RAW)
    shipped = G.render(0, "3", 1.0, *sliders)
    me, other = Req("me"), Req("someone-else")
    assert "GAN" in T.explore(r, me)
    token = LocalContext.request.set(me)
    try:
        mine = G.render(0, "3", 1.0, *sliders)
        assert "Your model" in C.model_note("gan") and C.model_note("vae") == ""
        # the page must not decode the shipped ONNX file for this session: the server draws its model
        assert G.browser_state(0, "3") == {"server": True} and G.interp_state(0, 1, "3") == {"server": True}
        assert V.browser_state()["server"] is False
    finally:
        LocalContext.request.reset(token)
    token = LocalContext.request.set(other)
    try:
        assert np.array_equal(G.render(0, "3", 1.0, *sliders), shipped)   # another session: the shipped model
        assert "z" in G.browser_state(0, "3")                            # … decoded in its page
        assert C.model_note("gan") == ""
    finally:
        LocalContext.request.reset(token)
    assert not np.array_equal(mine, shipped)                 # an untrained generator draws something else
    T.unexplore(me)
    token = LocalContext.request.set(me)
    try:
        assert np.array_equal(G.render(0, "3", 1.0, *sliders), shipped)
    finally:
        LocalContext.request.reset(token)


def test_explored_models_are_bounded():
    m = T.build_model("gan", "8gaussians", T.load_dataset("8gaussians", "train"), {"hidden": 8}, 0)
    for i in range(C.MAX_EXPLORED + 5):
        C.explore(m, Req(f"s{i}"))
    assert len(C.EXPLORED) <= C.MAX_EXPLORED and "s0" not in C.EXPLORED
    for i in range(C.MAX_EXPLORED + 5):
        C.unexplore(Req(f"s{i}"))


def test_live_views_for_diffusion_particles_and_vae_cloud():
    r = run_to_end(None, family="diffusion", dataset="8gaussians", steps=4, latent=None, loss=None,
                   timesteps=50)
    fig = T.figure_2d(r)
    ax = fig.axes[0]
    assert len(ax.lines) >= 64                                      # one path per particle, noise → data
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"noise x_T", "real", "generated"}
    r = run_to_end(None, family="vae", dataset="mnist", steps=2, latent=None, loss=None, batch=8)
    fig = T.figure_2d(r)
    titles = [a.get_title() for a in fig.axes]
    assert any("encoded held-out digits" in t for t in titles) and any("reconstructions" in t for t in titles)
    # the pictures are redrawn only when there is a new preview
    r.drawn = r.figure_drawn = ()                  # as if the page had not shown the run's last preview yet
    first = T.outputs(r)
    again = T.outputs(r)
    assert first[4]["value"] is not None and first[4]["visible"] and first[3] is not None
    assert again[3] == again[4] == T.gr.skip()


def test_explore_in_chromium_opens_in_the_gan_tab(page):
    from conftest import image_src, open_tab

    page.wait_for_function("() => document.querySelector('#gan_img img')?.src")
    shipped = image_src(page, "gan_img")
    open_tab(page, "Train")
    page.locator("#train_dataset input").fill("mnist")
    page.locator("#train_dataset input").press("Enter")
    # choosing the data fills in its default run (4,000 steps for a GAN on digits); type over it once it lands
    page.wait_for_function("() => document.querySelector('#train_steps input').value === '4000'")
    page.locator("#train_steps input").fill("3")
    page.locator("#train_start").click()
    page.wait_for_function("() => /finished/.test(document.querySelector('#train_status').innerText)")
    page.locator("#train_explore").click()
    page.get_by_text("now draws in the GAN tab").wait_for()
    open_tab(page, "GAN")
    page.get_by_text("Your model from the Train tab").wait_for()
    # opening the tab redraws with the session's model, no seed change needed
    page.wait_for_function("(s) => document.querySelector('#gan_img img')?.src !== s", arg=shipped)
    page.wait_for_function("() => window.LatentLab.renderPath?.gan === 'browser'")   # the shipped decoder loaded
    mine = image_src(page, "gan_img")
    # a drag now goes to the server (the trained model has no ONNX file), and the page says so
    page.locator("#z0 input[type=range]").fill("1.5")
    page.wait_for_function("(s) => document.querySelector('#gan_img img')?.src !== s", arg=mine)
    page.wait_for_function("() => window.LatentLab.renderPath.gan === 'server'")
    assert "server" in page.locator("#gan_render_path").inner_text()
    assert not page.evaluate("() => window.LatentLab.browserFrames.gan")          # nothing drawn in the page
    assert not page.errors


def test_an_explored_vae_with_another_latent_size_works_with_the_tabs_sliders():
    from ui import vae as V

    m = T.build_model("vae", "mnist", T.load_dataset("mnist", "train"), {"latent_dim": 4, "width": 4, "hidden": 16}, 0)
    me = Req("vae-user")
    C.explore(m, me)
    token = LocalContext.request.set(me)
    try:
        z = V.random_latent(5)
        assert len(z) == V._n_sliders() and z[4:] == [0.0] * (len(z) - 4)
        img = V.render(*z)
        assert img.shape == V.render(*([0.0] * len(z))).shape
        expected = C.grid_image(m.decode(torch.tensor([z[:4]])), scale=8)
        assert np.array_equal(img, expected)
    finally:
        LocalContext.request.reset(token)
        C.unexplore(me)


def test_fast_slider_events_draw_with_the_sessions_explored_model(app_url):
    """gan_render runs on the event loop and autoregressive_sample in a worker thread (C.fast): both must still
    see which browser session is asking, and draw with that session's model, over real HTTP."""
    import urllib.request

    from ui import autoregressive as AR

    def post(api, data, session):
        body = json.dumps({"data": data, "session_hash": session}).encode()
        req = urllib.request.Request(f"{app_url}/gradio_api/run/{api}", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            out = json.loads(r.read())["data"][0]
        if isinstance(out, dict):
            with urllib.request.urlopen(out["url"], timeout=60) as r:
                return r.read()
        return out

    ar = T.build_model("autoregressive", "names", T.load_dataset("names", "train"), {"n_layer": 1, "n_embd": 8}, 0)
    gan = T.build_model("gan", "mnist", T.load_dataset("mnist", "train"), {"latent_dim": 8, "ngf": 8, "ndf": 8}, 0)
    names_args, gan_args = [3, 1.0, 0, 1.0, "", 8], [5, "2", 1.0, 0.5] + [0.0] * 23
    shipped = post("autoregressive_sample", names_args, "nobody"), post("gan_render", gan_args, "nobody")
    for model, api, args, i in ((ar, "autoregressive_sample", names_args, 0), (gan, "gan_render", gan_args, 1)):
        me = Req(f"fast-{api}")
        C.explore(model, me)
        token = LocalContext.request.set(me)
        try:
            expected = AR.generate(*args) if i == 0 else None
        finally:
            LocalContext.request.reset(token)
        try:
            mine = post(api, args, me.session_hash)
            assert mine != shipped[i]                                    # drawn with the session's model
            if expected is not None:
                assert mine == expected
            assert post(api, args, "nobody") == shipped[i]               # other sessions keep the shipped one
        finally:
            C.unexplore(me)
