"""python -m bench.train_tab — the Train tab driven by Chromium against the CLI on the same recipe, figures only.

  * `python app.py` in a subprocess; headless Chromium opens the Train tab, picks a family and a dataset (the page
    fills in that data's default Steps and Batch), sets Steps out of reach, presses Start, lets it run `--seconds`
    after the first status update, then presses Stop;
  * over that window: the steps the status line reports, the CPU seconds (utime + stime, children included, from
    /proc) of the app's process and of Chromium's process tree, and what the page receives (the SSE stream's
    chunks and bytes, image files fetched);
  * then `python -m generators train` alone on the same recipe (batch, steps, seed) for the same seconds, its CPU
    seconds per step over its steady state (from its first progress report to its exit) and over its whole life;
  * the ratio of the two: the tab's server CPU-s per step ÷ the CLI's (the issue's target: ≤ 1.2×).
Both run with the same OMP_NUM_THREADS environment (unset by default: app.py then trains on torch's default
thread count, requests on one; `--omp-threads N` sets it for both).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.__main__ import ROOT, free_port

TICK = os.sysconf("SC_CLK_TCK")
STATUS = re.compile(r"step (\d+) / (\d+) · ([\d.]+) steps/s")
TQDM = re.compile(r"(\d+)/(\d+) \[")


# ----------------------------------------------------------------------------- CPU from /proc
def _stat(pid: int) -> tuple[int, str, float] | None:
    """(ppid, comm, CPU seconds of the process and its reaped children) from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    f = raw[raw.rindex(")") + 2:].split()          # f[0] is field 3 (state)
    return int(f[1]), comm, sum(int(x) for x in f[11:15]) / TICK    # utime stime cutime cstime


def tree_cpu(root: int, keep=lambda comm: True) -> float:
    """CPU seconds of `root` and its live descendants whose comm passes `keep` (a process that exits is counted
    through its parent's cutime/cstime once reaped)."""
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit() and (s := _stat(int(d))) is not None:
            procs[int(d)] = s
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in procs and keep(procs[pid][1]):
            total += procs[pid][2]
        todo += kids.get(pid, [])
    return total


def is_chromium(comm: str) -> bool:
    return "chrom" in comm.lower()


# ----------------------------------------------------------------------------- the app and the page
class App:
    """`python app.py` on a free loopback port, in its own process group, with a private GRADIO_TEMP_DIR."""

    def __init__(self, env: dict, tmp: Path, root: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        e = {**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(self.port),
             "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(tmp / "gradio")}
        self.log = open(tmp / "app.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=root, env=e, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout: float = 180) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}; see its log")
            try:
                with urllib.request.urlopen(self.url + "/gradio_api/info", timeout=5) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("the app did not answer")

    def cpu(self) -> float:
        return tree_cpu(self.proc.pid)

    def stop(self):
        kill_group(self.proc)
        self.log.close()


def kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)


def status(page) -> tuple[str, int, float]:
    txt = page.locator("#train_status").inner_text()
    m = STATUS.search(txt)
    return txt, (int(m.group(1)) if m else -1), (float(m.group(3)) if m else 0.0)


def next_status(page, old: str, timeout: float = 30_000) -> None:
    """Wait until the status line differs from `old` (a fresh update has just landed)."""
    page.wait_for_function("(s) => document.querySelector('#train_status').innerText !== s", arg=old,
                           timeout=timeout)


def tab_run(app: App, family: str, dataset: str, steps: int, seconds: float, chromium: str,
            screenshot: str | None) -> dict:
    """Drive the Train tab in Chromium; CPU, steps and bytes over `seconds` from the first status update."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS, open_tab

    me = os.getpid()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            ctx = b.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            page.set_default_timeout(120_000)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app.url, wait_until="domcontentloaded")
            open_tab(page, "Train")
            for eid, value in (("train_family", family), ("train_dataset", dataset)):
                page.locator(f"#{eid} input").fill(value)
                page.locator(f"#{eid} input").press("Enter")
                page.wait_for_timeout(500)          # family.change answers (its datasets); dataset.change is in the page
            page.wait_for_function("() => +document.querySelector('#train_steps input').value > 0")
            batch = int(page.locator("#train_batch input").input_value())
            every = int(page.locator("#train_every input").input_value())
            default_steps = int(page.locator("#train_steps input").input_value())
            page.locator("#train_steps input").fill(str(steps))
            page.locator("#train_steps input").press("Tab")

            # what the page receives: the SSE stream's chunks (CDP, no change to the page) and the files it fetches
            cdp, urls, sse, files, on = ctx.new_cdp_session(page), {}, [], [], [False]
            cdp.send("Network.enable")
            cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
            cdp.on("Network.dataReceived", lambda e: on[0] and "/queue/data" in urls.get(e["requestId"], "")
                   and sse.append(e["dataLength"]))
            cdp.on("Network.loadingFinished", lambda e: on[0] and "/file=" in urls.get(e["requestId"], "")
                   and files.append(e["encodedDataLength"]))

            page.locator("#train_start").click()
            try:
                page.wait_for_function("() => /step [1-9]\\d* \\//.test(document.querySelector('#train_status').innerText)")
            except Exception:
                if screenshot:
                    page.screenshot(path=screenshot, full_page=True)
                raise RuntimeError(f"the run did not start; status: {status(page)[0]!r}") from None
            txt0, _, _ = status(page)
            next_status(page, txt0)                 # a fresh update: the window opens with it
            txt0, step0, _ = status(page)
            t0, app0 = time.perf_counter(), app.cpu()
            chr0, drv0 = tree_cpu(me, is_chromium), tree_cpu(me, lambda c: not is_chromium(c)) - app0
            on[0] = True
            if screenshot:                          # once a preview is on the page
                page.wait_for_function("() => document.querySelector('#train_samples img')?.src",
                                       timeout=seconds * 1000)
                page.wait_for_timeout(500)
                page.screenshot(path=screenshot, full_page=True)
            page.wait_for_timeout(max(0.0, seconds - (time.perf_counter() - t0)) * 1000)
            txt1, _, _ = status(page)
            next_status(page, txt1)
            txt1, step1, rate1 = status(page)
            t1, app1 = time.perf_counter(), app.cpu()
            chr1, drv1 = tree_cpu(me, is_chromium), tree_cpu(me, lambda c: not is_chromium(c)) - app1
            on[0] = False
            page.locator("#train_stop").click()
            page.wait_for_function("() => /stopped/.test(document.querySelector('#train_status').innerText)")
            ctx.close()
        finally:
            b.close()
    return {"steps": step1 - step0, "seconds": t1 - t0, "app_cpu": app1 - app0, "chromium_cpu": chr1 - chr0,
            "driver_cpu": drv1 - drv0, "status_rate_end": rate1, "batch": batch, "every": every,
            "default_steps": default_steps, "status_start": txt0, "status_end": txt1, "sse_chunks": len(sse),
            "sse_bytes": sum(sse), "files": len(files), "file_bytes": sum(files), "page_errors": errors}


# ----------------------------------------------------------------------------- the CLI
def cli_run(family: str, dataset: str, steps: int, batch: int, seconds: float, every: int, env: dict,
            tmp: Path, root: Path = ROOT) -> dict:
    """`python -m generators train` for `seconds` (its --time-limit): CPU per step over its steady state (from
    its first progress report after step 0 to its exit) and over its whole life (as /usr/bin/time counts it)."""
    argv = [sys.executable, "-m", "generators", "train", family, "--dataset", dataset, "--steps", str(steps),
            "--batch-size", str(batch), "--seed", "0", "--time-limit", str(seconds), "--sample-every", str(every),
            "--out", str(tmp / f"{family}-{dataset}")]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    first: list = []                   # (step, CPU seconds, time) at the first progress report past step 0
    tail = bytearray()

    def read():
        buf = b""
        while chunk := proc.stderr.read1(4096):
            tail.extend(chunk)
            del tail[:-4000]
            buf += chunk
            *parts, buf = re.split(rb"[\r\n]", buf)
            for part in parts:
                m = TQDM.search(part.decode(errors="replace"))
                if m and not first and int(m.group(1)) > 0:
                    first.append((int(m.group(1)), tree_cpu(proc.pid), time.perf_counter()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        _, status_, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status_)
    finally:
        kill_group(proc)
    reader.join(10)
    total_s = time.perf_counter() - t0
    done = re.search(rb"done: (\d+) steps in ([\d.]+) s", bytes(tail))
    if proc.returncode or not done or not first:
        raise RuntimeError(f"the CLI failed ({proc.returncode}): {bytes(tail)[-1500:].decode(errors='replace')}")
    end_step, loop_s = int(done.group(1)), float(done.group(2))
    cpu = usage.ru_utime + usage.ru_stime
    step0, cpu0, t_first = first[0]
    ckpt = json.loads((tmp / f"{family}-{dataset}.json").read_text()) if (tmp / f"{family}-{dataset}.json").exists() \
        else {}
    return {"argv": argv[1:], "steps": end_step, "loop_s": loop_s, "cpu": cpu, "wall": total_s,
            "window_steps": end_step - step0, "window_cpu": cpu - cpu0, "window_s": t0 + total_s - t_first,
            "ckpt_steps": ckpt.get("steps")}


# ----------------------------------------------------------------------------- main
def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.train_tab", description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="gan", help="family to train")
    ap.add_argument("--dataset", default="mnist", help="dataset to train on")
    ap.add_argument("--seconds", type=float, default=60, help="measured window of each run")
    ap.add_argument("--steps", type=int, default=20_000, help="Steps typed into the tab (and given to the CLI): "
                                                              "out of reach in the window")
    ap.add_argument("--omp-threads", type=int, default=None,
                    help="OMP_NUM_THREADS for both the app and the CLI (default: unset for both)")
    ap.add_argument("--cli-sample-every", type=int, default=0,
                    help="the CLI's --sample-every (default 0: no previews, the CLI's default; -1: the tab's)")
    ap.add_argument("--root", type=Path, default=ROOT,
                    help="the checkout whose app.py and generators run (default: this one), e.g. a `git archive` of "
                         "another commit, to compare before and after")
    ap.add_argument("--skip-cli", action="store_true", help="only the tab (for profiling the app)")
    ap.add_argument("--screenshot", default=None, help="save a full-page screenshot of the running tab here")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"), help="Chromium binary")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if args.omp_threads:
        env["OMP_NUM_THREADS"] = str(args.omp_threads)
    omp = env.get("OMP_NUM_THREADS", "unset")
    import torch

    print(f"# Train tab vs CLI — {time.strftime('%Y-%m-%d %H:%M')} — {platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, OMP_NUM_THREADS={omp} for both, load average "
          f"{os.getloadavg()[0]:.2f} at the start")
    print(f"# {args.family} on {args.dataset}, {args.seconds:.0f} s windows, code from {args.root}")
    fig = {"omp_threads": omp, "family": args.family, "dataset": args.dataset}
    with tempfile.TemporaryDirectory(prefix="bench-train-tab-") as d:
        tmp = Path(d)
        app = App(env, tmp, args.root)
        try:
            print(f"app answers after {app.wait():.1f} s (pid {app.proc.pid})", flush=True)
            fig["tab"] = tab = tab_run(app, args.family, args.dataset, args.steps, args.seconds, args.chromium,
                                       args.screenshot)
        finally:
            app.stop()
        if not args.skip_cli:
            every = tab["every"] if args.cli_sample_every < 0 else args.cli_sample_every
            fig["cli"] = cli_run(args.family, args.dataset, args.steps, tab["batch"], args.seconds, every, env, tmp,
                                 args.root)

    t = fig["tab"]
    n = max(t["steps"], 1)
    print(f"\ntab: batch {t['batch']} (the page's default for the data; its default Steps {t['default_steps']}, "
          f"typed {args.steps}), preview every {t['every']} steps")
    print(f"  status at the start: {t['status_start']!r}\n  status at the end:   {t['status_end']!r}")
    print("\n| run | steps | seconds | steps/s | CPU-s | CPU-s/step | other CPU-s |\n|---|---|---|---|---|---|---|")
    print(f"| Train tab (app server) | {t['steps']} | {t['seconds']:.1f} | {t['steps'] / t['seconds']:.2f} "
          f"(status line at the end: {t['status_rate_end']:.1f}) | {t['app_cpu']:.1f} | {t['app_cpu'] / n:.4f} | "
          f"Chromium {t['chromium_cpu']:.1f}, Playwright driver + bench {t['driver_cpu']:.1f} |")
    if "cli" in fig:
        c = fig["cli"]
        w = max(c["window_steps"], 1)
        print(f"| CLI, steady state | {c['window_steps']} | {c['window_s']:.1f} | {c['window_steps'] / c['window_s']:.2f} "
              f"| {c['window_cpu']:.1f} | {c['window_cpu'] / w:.4f} | |")
        print(f"| CLI, whole process | {c['steps']} | {c['wall']:.1f} | {c['steps'] / c['loop_s']:.2f} (loop) "
              f"| {c['cpu']:.1f} | {c['cpu'] / max(c['steps'], 1):.4f} | checkpoint says {c['ckpt_steps']} steps |")
        ratio = (t["app_cpu"] / n) / (c["window_cpu"] / w)
        fig["ratio"] = ratio
        print(f"\nCPU-s per step, tab ÷ CLI (steady state): **{ratio:.2f}×** (target ≤ 1.2×); steps/s tab "
              f"{t['steps'] / t['seconds']:.2f} vs CLI {c['window_steps'] / c['window_s']:.2f}")
        print(f"CLI: python {' '.join(c['argv'])}")
    s = t["seconds"]
    print(f"page received over the window: {t['sse_chunks']} SSE chunks ({t['sse_chunks'] / s:.1f}/s, "
          f"{t['sse_bytes'] / max(t['sse_chunks'], 1) / 1e3:.1f} kB each, {t['sse_bytes'] / s / 1e3:.1f} kB/s), "
          f"{t['files']} image files ({t['file_bytes'] / max(t['files'], 1) / 1e3:.1f} kB each); "
          f"page errors: {len(t['page_errors'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
