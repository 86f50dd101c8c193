"""python -m bench.fuzz — every named event, every input slot, hostile values, over real HTTP.

For each `api_name` of a running app, each input slot gets hostile values (NaN and ±Infinity as JavaScript's
JSON writes them, ±1e308, 10**30, negatives, 100,000-character strings, null, lists, dicts, booleans, emoji,
FileData dicts that point outside Gradio's cache) with every other input at its default, posted to
/gradio_api/run/<api_name> over one keep-alive connection (as a proxy in front of a Space keeps one). Every
answer must be a result or a gr.Error; afterwards every event must serve a new visitor, on that connection
and on a fresh one, exactly what it served before. `tests/test_fuzz.py` runs a sample of the grid against the
app, and the full grid as a slow-marked test; this script runs the full grid against `python app.py`.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import re
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OUTSIDE = {"meta": {"_type": "gradio.FileData"}}
HOSTILE: dict[str, object] = {
    "NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf"),
    "1e308": 1e308, "-1e308": -1e308, "10**30": 10**30, "negative": -7,
    "100k string": "x" * 100_000, "null": None, "list": [1, 2, 3], "dict": {"a": 1}, "true": True,
    "emoji": "🤖🎲🧪", "FileData /etc/passwd": {"path": "/etc/passwd", **OUTSIDE},
    "FileData ../": {"path": "../../../../etc/hostname", **OUTSIDE},
    "FileData /proc": {"path": "/proc/self/environ", "orig_name": "environ", **OUTSIDE},
}
# What the browser sends beside the inputs of events that take event data (a click on the VAE's 2D map)
EVENT_DATA = {"vae_map_click": {"index": [100, 100], "value": None, "selected": True}}


class Connection:
    """One keep-alive HTTP connection to the app (reconnects if the server closes it)."""

    def __init__(self, url: str, timeout: float = 300):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def post(self, api: str, data: list, session: str) -> tuple[int, dict]:
        payload = {"data": data, "session_hash": session}
        if api in EVENT_DATA:
            payload["event_data"] = EVENT_DATA[api]
        body = json.dumps(payload, allow_nan=True)        # NaN / Infinity, as JavaScript's JSON.parse accepts
        for attempt in (0, 1):
            try:
                self.conn.request("POST", f"/gradio_api/run/{api}", body=body,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            return r.status, json.loads(raw)
        except ValueError:
            return r.status, {"raw": raw[:300].decode(errors="replace")}

    def close(self) -> None:
        self.conn.close()


def endpoints(url: str) -> dict[str, list[tuple[str, object]]]:
    """api_name → its inputs in order as (component type, default value); State inputs are ("state", None)."""
    cfg = json.loads(urllib.request.urlopen(f"{url}/config", timeout=60).read())
    comps = {c["id"]: c for c in cfg["components"]}
    out = {}
    for dep in cfg["dependencies"]:
        name = dep.get("api_name")
        if not name or dep.get("api_visibility", "public") != "public":
            continue
        out[name] = [(comps[i]["type"], None if comps[i]["type"] == "state" else comps[i].get("props", {}).get("value"))
                     for i in dep["inputs"]]
    return out


# Gradio's own refusals of a payload, before any handler runs (its component checks and its file-path guard)
GRADIO_REFUSALS = ("Could not preprocess input component", "because it was not uploaded by a user",
                   "is less than minimum value", "is greater than maximum value",
                   "validation error for ")             # pydantic, on Gradio's FileData / EditorData models
# answers that depend on the wall clock: a training run's first update (its pace and how far it got) is compared
# by kind only; the sampler comparison's timings are masked
TIMED, TIMINGS = {"train_start"}, {"diffusion_compare"}
# events that recompute on every call by design (15 s and 40–60 s on 2 vCPUs): the suite's sample leaves their
# default answers to `python -m bench.fuzz`, and fuzzes their inputs all the same
RECOMPUTING = ("compare_recompute", "compare_histogram")


def kind(status: int, body: dict) -> str:
    """"ok" (a result), "refused" (our gr.Error: Gradio adds its title), "refused by gradio" (Gradio's own
    input checks) or "crash" (any other exception or status)."""
    error = body.get("error")
    if status == 200 and "data" in body:
        return "ok"
    if status == 500 and body.get("title") == "Error" and isinstance(error, str):
        return "refused"
    if status == 500 and isinstance(error, str) and any(m in error for m in GRADIO_REFUSALS):
        return "refused by gradio"
    return "crash"


def fingerprint(url: str, obj):
    """An answer with every file replaced by a hash of its bytes (paths of downloads are random by design)."""
    if isinstance(obj, dict):
        if obj.get("url") and ("path" in obj or obj.get("meta", {}).get("_type") == "gradio.FileData"):
            u = obj["url"] if obj["url"].startswith("http") else url + obj["url"]
            with urllib.request.urlopen(u, timeout=60) as r:
                return {"file": hashlib.sha256(r.read()).hexdigest(), "name": Path(obj.get("orig_name") or "").suffix}
        return {k: fingerprint(url, v) for k, v in obj.items() if k not in ("duration", "average_duration")}
    if isinstance(obj, list):
        return [fingerprint(url, v) for v in obj]
    return obj


def grid(eps: dict, sample: int | None = None) -> list[tuple[str, int, str]]:
    """(api, slot, hostile name) to send: all of them, or `sample` values per slot, spread so that every value
    meets every event and neighbouring slots get different values."""
    names = list(HOSTILE)
    cells = []
    for api, inputs in eps.items():
        slots = [i for i, (typ, _) in enumerate(inputs) if typ != "state"]
        for j, slot in enumerate(slots):
            picks = names if sample is None or sample >= len(names) else [names[(j * sample + k) % len(names)] for k in range(sample)]
            cells += [(api, slot, v) for v in picks]
    return cells


def defaults_answers(url: str, eps: dict, conn: Connection, tag: str, skip=()) -> dict:
    """What a new visitor gets from every event with its defaults (one new session each)."""
    out = {}
    for api, inputs in eps.items():
        if api in skip:
            continue
        status, body = conn.post(api, [v for _, v in inputs], f"visitor-{tag}-{api}")
        answer = fingerprint(url, body.get("data")) if status == 200 else body.get("error")
        if api in TIMINGS:
            answer = json.loads(re.sub(r"\d+\.\d+ s", "# s", json.dumps(answer)))
        out[api] = (kind(status, body), None if api in TIMED else answer)
    return out


def fuzz(url: str, sample: int | None = None, skip_defaults=(), log=None) -> dict:
    """Run the grid; returns counts per answer kind and per hostile value, every crash, and every event whose
    default answer changed afterwards (on the same keep-alive connection or a fresh one)."""
    eps = endpoints(url)
    fresh = Connection(url)
    before = defaults_answers(url, eps, fresh, "before", skip_defaults)
    fresh.close()
    conn = Connection(url)
    counts, per_value, crashes = Counter(), {}, []
    cells = grid(eps, sample)
    t0 = time.monotonic()
    for n, (api, slot, value) in enumerate(cells):
        data = [v for _, v in eps[api]]
        data[slot] = HOSTILE[value]
        status, body = conn.post(api, data, "hostile")
        k = kind(status, body)
        counts[k] += 1
        per_value.setdefault(value, Counter())[k] += 1
        if k == "crash":
            crashes.append({"api": api, "slot": slot, "value": value, "status": status,
                            "error": str(body.get("error", body))[:200]})
        if log and n % 200 == 0:
            log(f"{n}/{len(cells)} sent, {time.monotonic() - t0:.0f} s")
    after_same = defaults_answers(url, eps, conn, "after-same", skip_defaults)
    conn.close()
    fresh = Connection(url)
    after_new = defaults_answers(url, eps, fresh, "after-new", skip_defaults)
    fresh.close()
    changed = sorted({api for api in before if after_same.get(api) != before[api] or after_new.get(api) != before[api]})
    return {"events": len(eps), "slots": sum(1 for i in eps.values() for t, _ in i if t != "state"),
            "calls": len(cells), "seconds": round(time.monotonic() - t0, 1), "answers": dict(counts),
            "per_value": {v: dict(c) for v, c in per_value.items()}, "crashes": crashes,
            "defaults_before": {api: k for api, (k, _) in before.items()}, "changed_after": changed,
            "changed_detail": {api: {"before": str(before[api])[:300], "after_same": str(after_same.get(api))[:300],
                                     "after_new": str(after_new.get(api))[:300]} for api in changed}}


def main(argv=None) -> None:
    from bench.soak import AppServer

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sample", type=int, default=None, help="hostile values per slot (default: all of them)")
    p.add_argument("--out", default=None, help="write the JSON report here")
    args = p.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        server = AppServer(Path(d))
        try:
            server.wait()
            report = fuzz(server.url, args.sample, log=lambda m: print(m, file=sys.stderr))
        finally:
            server.stop()
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text)
    print(json.dumps({k: report[k] for k in ("events", "slots", "calls", "seconds", "answers", "changed_after")}))
    for c in report["crashes"][:20]:
        print("crash:", c)


if __name__ == "__main__":
    main()
