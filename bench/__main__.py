"""python -m bench — speed figures, printed as one table (never pass/fail).

Each row is measured side by side in one run on this machine:
  * cold start of `python app.py` to its first answer, and its resident memory;
  * slider → image as the browser makes it (direct POST of the named event + GET of the image) for every
    named cheap event, p50/p95, and the ratio to a bare Gradio app returning a fixed image — the bare app's
    calls interleaved with each event's (one bare call, one event call, …), so both see the same machine
    (on a shared 2-core VM the floor alone drifted 6–11 ms between runs an hour apart);
  * several simulated users dragging at once;
  * diffusers' DDIMScheduler beside our sampler (bench.diffusion_samplers), and training throughput on a CUDA
    GPU beside pytorch/examples' DCGAN and diffusers' UNet2DModel (bench.gpu; says so when there is no GPU).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, payload: dict, timeout: float = 60) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def get(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def file_urls(obj) -> list[str]:
    """Every file URL in an event's output (images come back as FileData with a url)."""
    out = []
    if isinstance(obj, dict):
        if obj.get("url"):
            out.append(obj["url"])
        for v in obj.values():
            out += file_urls(v)
    elif isinstance(obj, list):
        for v in obj:
            out += file_urls(v)
    return out


class Server:
    """A Gradio app in a subprocess on a free port (cold start measured to its first answer)."""

    def __init__(self, argv: list[str], env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        e = {**os.environ, "GRADIO_SERVER_PORT": str(self.port), "GRADIO_SERVER_NAME": "127.0.0.1",
             "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait(self, api: str, data: list, timeout: float = 120) -> float:
        """Seconds from process start until `api` answers."""
        while time.perf_counter() - self.t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                self.call(api, data)
                return time.perf_counter() - self.t0
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("server did not answer")

    def call(self, api: str, data: list) -> float:
        """One browser-like round trip: POST the event, GET every file it returns. → seconds."""
        t = time.perf_counter()
        out = post(f"{self.url}/gradio_api/run/{api}", {"data": data, "session_hash": "bench"})
        for u in file_urls(out):
            get(u if u.startswith("http") else self.url + u)
        return time.perf_counter() - t

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentiles(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(0.95 * len(xs)))]


def bare_payload(i):
    return [i % 100 / 10]


def drag_beside_floor(server: Server, api: str, make, bare: Server, n: int) -> tuple[list[float], list[float]]:
    """n calls with a moving slider value, like a drag, each after one bare-Gradio call; the first few warm up
    and are dropped → (event times, floor times)."""
    ours, floor = [], []
    for i in range(n + 5):
        floor.append(bare.call("bare_render", bare_payload(i)))
        ours.append(server.call(api, make(i)))
    return ours[5:], floor[5:]


# Inputs of each named event, as a slider drag sends them (i moves the dragged slider).
def gan_payload(i):
    return [7, "3", 1.0, round(-3 + (i % 120) * 0.05, 2)] + [0.0] * 23


EVENTS = {"gan_render": gan_payload}


def extra_events():
    """Rows contributed by the families' bench hooks (bench/events.py), when present."""
    try:
        from bench.events import EVENTS as more
    except ImportError:
        return {}
    return more


def users(server: Server, api: str, make, n_users: int, seconds: float) -> dict:
    lat, errors, kinds = [], [0], {}
    stop = time.perf_counter() + seconds

    def user(k):
        i = 0
        while time.perf_counter() < stop:
            try:
                lat.append(server.call(api, make(i + 1000 * k)))
            except Exception as e:
                errors[0] += 1
                kinds[f"{type(e).__name__}: {str(e)[:120]}"] = kinds.get(f"{type(e).__name__}: {str(e)[:120]}", 0) + 1
            i += 1

    threads = [threading.Thread(target=user, args=(k,)) for k in range(n_users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"calls": len(lat), "errors": errors[0], "error_kinds": kinds, "p50": percentiles(lat)[0],
            "p95": percentiles(lat)[1]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="round trips per event")
    ap.add_argument("--users", type=int, default=8, help="simulated users dragging at once")
    ap.add_argument("--seconds", type=float, default=20, help="duration of the multi-user run")
    ap.add_argument("--cold-starts", type=int, default=5, help="cold starts of app.py timed (median printed)")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    import torch

    rows = []
    print(f"# Latent Lab bench — {time.strftime('%Y-%m-%d')} — {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}")
    colds, bare_colds = [], []
    for k in range(max(1, args.cold_starts)):       # a median: one cold start varies by ±1 s here
        bare = Server([sys.executable, str(ROOT / "bench" / "bare_app.py")])   # its floor, alternating with it
        bare_colds.append(bare.wait("bare_render", [0.0]))
        if k < args.cold_starts - 1:
            bare.stop()
        app = Server([sys.executable, "app.py"])
        colds.append(app.wait("gan_render", gan_payload(0)))
        if k < args.cold_starts - 1:                # the last ones stay up for the rest of the bench
            app.stop()
    cold, bare_cold = statistics.median(colds), statistics.median(bare_colds)

    events = {**EVENTS, **extra_events()}
    floors = []
    for api, make in events.items():
        try:
            times, floor = drag_beside_floor(app, api, make, bare, args.n)
        except Exception as e:  # an event that does not exist yet: say so, keep going
            print(f"  {api}: not measured ({type(e).__name__}: {e})")
            continue
        (p50, p95), (f50, _) = percentiles(times), percentiles(floor)
        floors += floor
        rows.append((f"{api} slider→image", p50 * 1e3, p95 * 1e3, p50 / f50, f50 * 1e3))
    f50, f95 = percentiles(floors)
    rows.insert(0, ("bare Gradio slider→image (floor, all rows' interleaved calls)", f50 * 1e3, f95 * 1e3, 1.0,
                    f50 * 1e3))
    bare.stop()
    many = users(app, "gan_render", gan_payload, args.users, args.seconds)
    rss = app.rss_mb()
    app.stop()

    print(f"\n| measure | p50 ms | p95 ms | × bare floor | its floor p50 ms |\n|---|---|---|---|---|")
    for name, p50, p95, ratio, f50 in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {ratio:.2f} | {f50:.1f} |")
    print(f"\n{args.users} users dragging gan_render for {args.seconds:.0f} s: {many['calls']} calls, "
          f"{many['errors']} errors, p50 {many['p50'] * 1e3:.1f} ms, p95 {many['p95'] * 1e3:.1f} ms")
    for kind, count in many["error_kinds"].items():
        print(f"  error ×{count}: {kind}")
    print(f"cold start of app.py to first gan_render answer: median {cold:.2f} s of {len(colds)} "
          f"({', '.join(f'{c:.2f}' for c in colds)}); the bare Gradio app's, alternating with it: median "
          f"{bare_cold:.2f} s ({', '.join(f'{c:.2f}' for c in bare_colds)}); "
          f"resident memory after the run: {rss:.0f} MB")
    try:
        import diffusers  # noqa: F401
    except ImportError:
        print("\ndiffusers' DDIMScheduler vs ours: not measured (pip install -r bench/requirements.txt)")
    else:
        from bench import diffusion_samplers
        print()
        diffusion_samplers.main(["--repeats", "5"])
    from bench import gpu
    print()
    gpu.main([])                                     # training throughput on a CUDA GPU, or why not
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "users": many, "cold_start_s": cold, "cold_starts_s": colds,
                                               "bare_cold_starts_s": bare_colds,
                                               "rss_mb": rss},
                                              indent=2))


if __name__ == "__main__":
    main()
