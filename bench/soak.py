"""python -m bench.soak — many users for N minutes against a real `python app.py`, then a health report.

8 users drag sliders through direct HTTP (gan_render, vae_render, autoregressive_sample; every returned image
fetched), 2 users run training through the Train tab's named event (train_start, streamed through the queue)
one run after another, and now and then a hostile request is mixed in. Reported: calls and errors, unhandled
exceptions in the server's log (tracebacks other than gr.Error), resident memory at start and end, files in
GRADIO_TEMP_DIR, and whether a queue flood is refused politely (HTTP 503 "Queue is full").
`tests/test_soak.py` runs a short version and asserts on the report.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.__main__ import file_urls, free_port, gan_payload, get, post  # noqa: E402
from bench.events import autoregressive_payload, vae_payload  # noqa: E402

SLIDERS = [("gan_render", gan_payload), ("vae_render", vae_payload), ("autoregressive_sample", autoregressive_payload)]
HOSTILE = [("gan_render", [2**64, "3", 1.0] + [0.0] * 24), ("vae_render", [float("nan")] + [0.0] * 15),
           ("autoregressive_sample", [0, 1.0, 0, 1.0, "x" * 100_000, 4])]


def upload_png(url: str, data: bytes, name: str = "digit.png") -> str:
    """POST a file to Gradio's upload route (what a drop zone does) → its server path."""
    import uuid

    b = uuid.uuid4().hex
    body = (f'--{b}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{b}--\r\n".encode()
    req = urllib.request.Request(url + "/gradio_api/upload", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={b}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())[0]


def drawing_png(i: int) -> bytes:
    """A student's drawing: a dark stroke on the white canvas, a little different each time."""
    import io

    from PIL import Image, ImageDraw

    im = Image.new("RGB", (280, 280), "white")
    ImageDraw.Draw(im).line([(140 + i % 40 - 20, 40), (140, 240)], fill="black", width=24)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


class Busy(Exception):
    """A polite refusal: the queue is full (HTTP 503)."""


def _queued_ok(url: str, api: str, data: list, session: str) -> None:
    status, last = queued(url, api, data, timeout=300, session=session)
    if status == 503:
        raise Busy(api)
    if status != 200 or last != "complete":
        raise RuntimeError(f"{api}: HTTP {status}, stream ended with {last[:120]!r}")


def _upload_and_encode(url: str, i: int, session: str) -> None:
    fd = {"path": upload_png(url, drawing_png(i)), "meta": {"_type": "gradio.FileData"}, "orig_name": "digit.png"}
    call(url, "vae_encode", [{"background": fd, "layers": [], "composite": fd}], session)


# What a student's page sends (the GAN/VAE renders as API users send them; the page itself draws drags in the
# browser): (name, action(url, i, session)); queued events go through the queue as the page's do.
CLASSROOM = [
    ("gan_render", lambda url, i, s: call(url, "gan_render", gan_payload(i), s)),
    ("vae_render", lambda url, i, s: call(url, "vae_render", vae_payload(i), s)),
    ("gan_grid", lambda url, i, s: call(url, "gan_grid", [i % 50, "any", 1.0, 16], s)),
    ("vae_grid", lambda url, i, s: call(url, "vae_grid", [i % 50, 16, 1.0], s)),
    ("names", lambda url, i, s: call(url, "autoregressive_sample", autoregressive_payload(i), s)),
    ("diffusion digit", lambda url, i, s: _queued_ok(url, "diffusion_render", [i % 50, str(i % 10), "euler", 10,
                                                                                   0.0, 2.0, 1], s)),
    ("gan_link", lambda url, i, s: call(url, "gan_link", gan_payload(i) + [16], s)),
    ("vae_link", lambda url, i, s: call(url, "vae_link", vae_payload(i) + [i % 50, 16, 1.0], s)),
    ("upload + encode", _upload_and_encode),
]


def train_payload(steps: int, seed: int) -> list:
    # state, family, dataset, upload, lr, batch, steps, latent, loss, n_critic, beta, schedule, T, layers, width,
    # seed, preview every, mixture components (ui/train.py's FIRST_FIELDS, seed, every, LATER_FIELDS)
    return [None, "gan", "8gaussians", None, 0, 64, steps, 0, "bce", 0, 1.0, "cosine", 0, 0, 0, seed, 25, 0]


class AppServer:
    """`python app.py` on a free port, its log in a file, its own GRADIO_TEMP_DIR."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.temp = workdir / "gradio-tmp"
        self.temp.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "server.log"
        self.log = open(self.log_path, "wb")
        env = {**os.environ, "GRADIO_SERVER_PORT": str(self.port), "GRADIO_SERVER_NAME": "127.0.0.1",
               "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(self.temp), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 180) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited: {self.log_path.read_text()[-2000:]}")
            try:
                post(f"{self.url}/gradio_api/run/gan_render", {"data": gan_payload(0), "session_hash": "w"}, 10)
                return
            except OSError:
                time.sleep(0.25)
        raise TimeoutError("app.py did not answer")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def temp_files(self) -> int:
        return sum(len(files) for _, _, files in os.walk(self.temp))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def unhandled_exceptions(log: str) -> list[str]:
    """The last line of every traceback in the log that is not a gr.Error (those are answers, not crashes)."""
    out = []
    for block in re.split(r"(?m)^Traceback \(most recent call last\):\n", log)[1:]:
        last = next((ln for ln in block.splitlines() if ln and not ln.startswith((" ", "\t"))), "")
        if not last.startswith("gradio.exceptions.Error"):
            out.append(last[:200])
    return out


def call(url: str, api: str, data: list, session: str) -> None:
    """POST an un-queued event and GET every file it returns (what the browser does)."""
    out = post(f"{url}/gradio_api/run/{api}", {"data": data, "session_hash": session}, 60)
    for u in file_urls(out):
        get(u if u.startswith("http") else url + u)


def queued(url: str, api: str, data: list, timeout: float = 600, session: str | None = None) -> tuple[int, str]:
    """Submit through the queue and read the stream to its end → (HTTP status of the submit, last event). A page
    sends its session with every event; without one Gradio makes a new session for each call."""
    payload = {"data": data, **({"session_hash": session} if session else {})}
    req = urllib.request.Request(f"{url}/gradio_api/call/{api}", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            event_id = json.loads(r.read())["event_id"]
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    last = ""
    with urllib.request.urlopen(f"{url}/gradio_api/call/{api}/{event_id}", timeout=timeout) as r:
        for raw in r:
            line = raw.decode(errors="replace").strip()
            if line.startswith("event:"):
                last = line.split(":", 1)[1].strip()
                if last in ("complete", "error"):
                    break
    return 200, last


def soak(url: str, seconds: float, users: int = 8, trainers: int = 2, train_steps: int = 300,
         hostile_every: int = 25, sample=None, classroom: bool = False, think_s: float = 0.0) -> dict:
    """Run the load for `seconds`; `sample()` is called about once a second (RSS, temp files). `classroom`: each
    user cycles through what a student's page sends (CLASSROOM), `think_s` apart; else each drags one slider."""
    stop = time.monotonic() + seconds
    stats = {"calls": 0, "errors": 0, "busy": 0, "hostile": 0, "hostile_answered": 0, "train_runs": 0,
             "train_failed": 0, "error_kinds": {}, "latency_ms": {}}
    lock = threading.Lock()
    actions = CLASSROOM if classroom else [(api, lambda url, i, s, api=api, make=make: call(url, api, make(i), s))
                                           for api, make in SLIDERS]

    def count(key, n=1, kind=None):
        with lock:
            stats[key] += n
            if kind:
                stats["error_kinds"][kind] = stats["error_kinds"].get(kind, 0) + 1

    def user(k):
        i = 0
        while time.monotonic() < stop:
            i += 1
            if hostile_every and i % hostile_every == 2:      # from each user's 2nd call on: a short soak sends some too
                api, data = HOSTILE[i // hostile_every % len(HOSTILE)]
                count("hostile")
                try:
                    call(url, api, data, f"soak{k}")
                except urllib.error.HTTPError as e:
                    count("hostile_answered", int(e.code == 500 and b"error" in e.read()))
                except Exception as e:  # counted: a hostile request must be answered, not dropped
                    count("errors", kind=f"hostile {type(e).__name__}")
                continue
            api, act = actions[(k + i) % len(actions)] if classroom else actions[k % len(actions)]
            t0 = time.perf_counter()
            try:
                act(url, i + 1000 * k, f"soak{k}")
                count("calls")
                with lock:
                    stats["latency_ms"].setdefault(api, []).append(round((time.perf_counter() - t0) * 1000, 1))
            except Busy:
                count("busy")
            except urllib.error.HTTPError as e:   # counted and reported with what the server said
                count("errors", kind=f"{api} HTTP {e.code} {e.url.split('/gradio_api/')[-1][:40]}: "
                                     f"{e.read()[:160].decode(errors='replace')}")
            except Exception as e:  # counted and reported
                count("errors", kind=f"{api} {type(e).__name__}: {str(e)[:80]}")
            if think_s:
                time.sleep(think_s)

    def trainer(k):
        run = 0
        while time.monotonic() < stop:
            run += 1
            try:
                status, last = queued(url, "train_start", train_payload(train_steps, 1000 * k + run),
                                      session=f"trainer{k}" if classroom else None)
                count("train_runs")
                if status != 200 or last != "complete":
                    count("train_failed", kind=f"train_start {status} {last[:80]}")
            except Exception as e:  # counted and reported
                count("train_failed", kind=f"train_start {type(e).__name__}: {str(e)[:80]}")

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    threads += [threading.Thread(target=trainer, args=(k,)) for k in range(trainers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if sample:
            sample()
        time.sleep(1.0)
    for t in threads:
        t.join()
    stats["latency_ms"] = {api: latency_summary(v) for api, v in stats["latency_ms"].items()}
    return stats


def latency_summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "p50": ms[len(ms) // 2], "p95": ms[min(len(ms) - 1, int(len(ms) * 0.95))], "max": ms[-1]}


def flood(url: str, api: str, data: list, n: int) -> dict:
    """n submissions at once through the queue → how many were accepted and how many refused with 503."""
    codes = []

    def one():
        req = urllib.request.Request(f"{url}/gradio_api/call/{api}", data=json.dumps({"data": data}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                codes.append((r.status, ""))
        except urllib.error.HTTPError as e:
            codes.append((e.code, e.read().decode(errors="replace")[:100]))
        except Exception as e:  # reported
            codes.append((0, type(e).__name__))

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"accepted": sum(c == 200 for c, _ in codes), "refused_503": sum(c == 503 for c, _ in codes),
            "other": [c for c in codes if c[0] not in (200, 503)], "messages": sorted({m for c, m in codes if c == 503})}


def run(minutes: float, users: int, trainers: int, train_steps: int, workdir: Path | None = None,
        flood_n: int = 0, classroom: bool = False, think_s: float = 0.0) -> dict:
    from bench.fuzz import RECOMPUTING, Connection, defaults_answers, endpoints

    workdir = Path(workdir or tempfile.mkdtemp(prefix="latent-lab-soak-"))
    server = AppServer(workdir)
    try:
        server.wait()
        eps = endpoints(server.url)

        def every_event(tag):                            # what a new visitor gets from every event
            conn = Connection(server.url)
            try:
                return defaults_answers(server.url, eps, conn, tag, skip=RECOMPUTING)
            finally:
                conn.close()

        before = every_event("before") if classroom else None
        rss, temps, t0 = [server.rss_mb()], [server.temp_files()], time.monotonic()
        timeline = [(0.0, rss[0])]

        def sample():
            rss.append(server.rss_mb())
            temps.append(server.temp_files())
            timeline.append((round(time.monotonic() - t0, 1), rss[-1]))

        stats = soak(server.url, minutes * 60, users, trainers, train_steps, sample=sample, classroom=classroom,
                     think_s=think_s)
        report = {**stats, "seconds": minutes * 60, "users": users, "trainers": trainers,
                  "rss_start_mb": rss[0], "rss_peak_mb": max(rss), "rss_end_mb": server.rss_mb(),
                  "rss_timeline_mb": [round(x) for x in rss[:: max(1, len(rss) // 20)]],
                  "rss_timeline_s_mb": [(s_, round(m)) for s_, m in timeline[:: max(1, len(timeline) // 20)]],
                  "temp_files_peak": max(temps), "temp_files_end": server.temp_files()}
        if classroom:
            after = every_event("after")
            report["events_checked"] = len(after)
            report["events_changed_after"] = sorted(api for api in before if after.get(api) != before[api])
        if flood_n:       # more long runs started at once than the Train lane handles plus the queue holds
            report["flood"] = flood(server.url, "train_start", train_payload(20_000, 0), flood_n)
        call(server.url, "gan_render", gan_payload(1), "after")      # still answering after all that
        report["still_serving"] = True
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    report["unhandled_exceptions"] = unhandled_exceptions(log)
    report["log"] = str(server.log_path)
    return report


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5, help="how long the load runs")
    ap.add_argument("--users", type=int, default=8, help="users dragging sliders at once (direct HTTP)")
    ap.add_argument("--trainers", type=int, default=2, help="users training through train_start at once")
    ap.add_argument("--train-steps", type=int, default=300, help="steps of each training run (runs repeat)")
    ap.add_argument("--flood", type=int, default=110, help="Starts submitted at once at the end (0: skip)")
    ap.add_argument("--classroom", action="store_true",
                    help="each user sends what a student's page sends (renders, grids, names, diffusion, links, an "
                         "upload) instead of dragging one slider; e.g. --classroom --users 30 --minutes 2")
    ap.add_argument("--think", type=float, default=0.0, help="seconds between one user's requests")
    ap.add_argument("--json", default=None, help="also write the report to this JSON file")
    args = ap.parse_args(argv)
    r = run(args.minutes, args.users, args.trainers, args.train_steps, flood_n=args.flood,
            classroom=args.classroom, think_s=args.think)
    who = "students" if args.classroom else "users dragging"
    print(f"# soak: {args.users} {who} + {args.trainers} training for {args.minutes:g} min")
    print(f"calls {r['calls']}, errors {r['errors']}, busy (queue full) {r['busy']}, hostile {r['hostile']} "
          f"(answered {r['hostile_answered']}), training runs {r['train_runs']} (failed {r['train_failed']})")
    for api, lat in sorted(r["latency_ms"].items()):
        print(f"  {api:16s} n {lat['n']:5d}  p50 {lat['p50']:8.1f} ms  p95 {lat['p95']:8.1f} ms  max {lat['max']:8.1f} ms")
    if "events_changed_after" in r:
        print(f"every event afterwards: {r['events_checked']} checked, changed: {r['events_changed_after'] or 'none'}")
    print(f"  resident memory (s, MB): {r['rss_timeline_s_mb']}")
    for kind, n in r["error_kinds"].items():
        print(f"  ×{n}: {kind}")
    print(f"unhandled exceptions in the server log: {len(r['unhandled_exceptions'])}")
    for line in r["unhandled_exceptions"][:10]:
        print(f"  {line}")
    print(f"resident memory: {r['rss_start_mb']:.0f} MB at start, {r['rss_peak_mb']:.0f} MB peak, "
          f"{r['rss_end_mb']:.0f} MB at the end")
    print(f"  timeline (MB, evenly spaced): {r['rss_timeline_mb']}")
    print(f"files in GRADIO_TEMP_DIR: peak {r['temp_files_peak']}, end {r['temp_files_end']}")
    if "flood" in r:
        f = r["flood"]
        print(f"queue flood of {args.flood}: {f['accepted']} accepted, {f['refused_503']} refused with 503 "
              f"{f['messages'][:1]}, other {f['other'][:3]}")
    print(f"server log: {r['log']}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
