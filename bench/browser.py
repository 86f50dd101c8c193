"""python -m bench.browser — the browser render path against the server path (issue 11), figures only.

  * drag frames per second in headless Chromium: GAN and VAE sliders, onnxruntime-web in the page vs the server
    path (the same page with WebAssembly removed), and the requests each drag sends;
  * the bytes the page downloads for the browser path (onnxruntime-web + the .onnx decoders);
  * the server path under a classroom: N simulated users POSTing gan_render back to back (requests/s, p50, p95).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

from bench.__main__ import ROOT, Server, gan_payload, percentiles, users

DRAG_JS = """async ([ids, ms]) => {
    const tab = ids[0].startsWith('v') ? 'vae' : 'gan';
    const src = () => document.querySelector('#' + tab + '_img img')?.src;
    const inputs = ids.map((id) => document.querySelector('#' + id + ' input[type=range]'));
    let frames = 0, last = src(), i = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {          // one slider step per animation frame, like a mouse drag
        const el = inputs[i % inputs.length];
        el.value = (Math.sin(i / 9) * 2.5).toFixed(2);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        i++;
        await new Promise((r) => requestAnimationFrame(r));
        const s = src();
        if (s && s !== last) { frames++; last = s; }
    }
    return { events: i, frames, seconds: (performance.now() - t0) / 1000 };
}"""


def drag(page, tab: str, ids: list[str], seconds: float, wasm: bool) -> dict:
    page.get_by_role("tab", name=tab.upper()).click()
    want = "browser" if wasm else "server"
    page.wait_for_function("([t, w]) => window.LatentLab.renderPath?.[t] === w", arg=[tab, want], timeout=120_000)
    page.wait_for_function(f"() => document.querySelector('#{tab}_img img')?.src", timeout=60_000)
    page.wait_for_timeout(1500)       # the tab's select events (its model note, a redraw) answered: not the drag's
    seen = []
    handler = lambda r: seen.append(r.url) if not r.url.startswith(("data:", "blob:")) else None  # noqa: E731
    page.on("request", handler)
    out = page.evaluate(DRAG_JS, [ids, int(seconds * 1000)])
    page.remove_listener("request", handler)
    out["requests"] = len(seen)
    out["fps"] = out["frames"] / out["seconds"]
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5, help="length of each drag in Chromium")
    ap.add_argument("--users", type=int, default=30, help="simulated users on the server path")
    ap.add_argument("--user-seconds", type=float, default=20, help="duration of the multi-user run")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"), help="Chromium binary")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    ort_version = (ROOT / "ui" / "static" / "ort" / "VERSION").read_text().strip()
    print(f"# browser path vs server path — {time.strftime('%Y-%m-%d')} — {platform.machine()}, {os.cpu_count()} "
          f"cores, {ort_version}")
    app = Server([sys.executable, "app.py"], env={"OMP_NUM_THREADS": "1"})
    app.wait("gan_render", gan_payload(0))
    fig = {"drag": {}}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=args.chromium,
                                  args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            for wasm in (True, False):
                ctx = b.new_context(viewport={"width": 1280, "height": 900})
                if not wasm:
                    ctx.add_init_script("delete window.WebAssembly")
                page = ctx.new_page()
                sizes = {}
                page.on("requestfinished", lambda r: sizes.__setitem__(r.url, r.sizes()["responseBodySize"]))
                page.goto(app.url, wait_until="domcontentloaded")
                for tab, ids in (("gan", ["z0", "z3", "gan_truncation"]), ("vae", ["vz0", "vz5", "vz11"])):
                    fig["drag"][f"{tab} {'browser' if wasm else 'server'}"] = drag(page, tab, ids, args.seconds, wasm)
                if wasm:
                    fig["bytes"] = {u.split("/")[-1]: n for u, n in sizes.items()
                                    if "/ui/static/ort/" in u or u.endswith(".onnx")}
                ctx.close()
            b.close()
        fig["users"] = users(app, "gan_render", gan_payload, args.users, args.user_seconds)
    finally:
        app.stop()

    print("\n| drag in headless Chromium | pictures/s | requests during the drag |\n|---|---|---|")
    for name, d in fig["drag"].items():
        print(f"| {name} | {d['fps']:.1f} | {d['requests']} ({d['events']} input events in {d['seconds']:.1f} s) |")
    total = sum(fig["bytes"].values())
    print(f"\nbrowser path downloads once per page: {total / 1e6:.2f} MB — "
          + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in fig["bytes"].items()))
    u = fig["users"]
    rps = u["calls"] / args.user_seconds
    print(f"server path, {args.users} users POSTing gan_render back to back for {args.user_seconds:.0f} s: "
          f"{rps:.0f} requests/s sustained, p50 {u['p50'] * 1e3:.0f} ms, p95 {u['p95'] * 1e3:.0f} ms, "
          f"{u['errors']} errors → {rps / args.users:.1f} pictures/s per user")
    gan = fig["drag"]["gan browser"]["fps"]
    print(f"browser path: {gan:.0f} pictures/s per user, whatever the number of users (server requests: 0): "
          f"{gan / (rps / args.users):.0f}× what each of {args.users} users gets from the server")
    if args.json:
        from pathlib import Path
        Path(args.json).write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
