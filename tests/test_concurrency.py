"""Many users at once on a real server: each gets exactly their solo result, and no download is ever torn."""
from __future__ import annotations

import io
import json
import threading
import urllib.request

import numpy as np
from PIL import Image


def _render(url, seed, first=0.0):
    body = json.dumps({"data": [seed, "any", 1.0, first] + [0.0] * 23, "session_hash": f"u{seed}"}).encode()
    req = urllib.request.Request(f"{url}/gradio_api/run/gan_render", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        out = json.loads(r.read())
    with urllib.request.urlopen(out["data"][0]["url"], timeout=60) as r:
        return np.asarray(Image.open(io.BytesIO(r.read())).convert("L"))   # raises on a truncated PNG


def _parallel(fn, args):
    results, errors = [None] * len(args), []

    def run(i):
        try:
            results[i] = fn(*args[i])
        except Exception as e:  # collected, asserted below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_eight_concurrent_users_get_their_solo_results(app_url):
    seeds = [3, 14, 15, 92, 65, 35, 89, 79]
    solo = {s: _render(app_url, s) for s in seeds}
    for _ in range(3):
        results, errors = _parallel(lambda s: _render(app_url, s), [(s,) for s in seeds])
        assert not errors
        for s, img in zip(seeds, results):
            assert np.array_equal(img, solo[s]), f"seed {s} differed under concurrency"


def test_identical_requests_at_once_never_get_a_torn_image(app_url):
    """Same picture for many users at once: Gradio writes it to one cache path; every download must be whole."""
    for value in (0.5, -1.0, 1.5):
        results, errors = _parallel(_render, [(app_url, 7, value)] * 12)
        assert not errors, errors[:1]
        assert all(np.array_equal(r, results[0]) for r in results)
