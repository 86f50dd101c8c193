"""A ZeroGPU Space on this machine, for tests: the app run by tests/zerogpu_app.py under the real `spaces` package,
against `DeviceAPIStub`, a stand-in for the device API the package talks to (spaces/zero/api.py).

    with zerogpu_app(tmp_path) as z:               # z.url, z.stub, z.log_path
        results = call_every_named_event(Client(z.url, verbose=False))
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = Path(__file__).resolve().parent / "zerogpu_app.py"
MODES = ("grant", "quota", "nogpu")
START_DEADLINE_S = 180
CALL_TIMEOUT_S = 120


class DeviceAPIStub:
    """The ZeroGPU device API on 127.0.0.1:<free port>. `mode` says how /schedule answers: "grant" (a GPU),
    "quota" (429: the visitor's quota is spent) or "nogpu" (503: none free); set it here or, from outside,
    with POST /mode?value=<mode>. `token_modes` {X-IP-Token: mode} answers the visitors who send that token
    (`ip_token`) otherwise (POST /mode?value=<mode>&token=<token>), so two sessions can meet two modes at once.
    Every /schedule is logged in `schedules`: {"taskId", "durationSeconds", "mode" (the answer given)}."""

    def __init__(self, mode: str = "grant"):
        self.mode = mode
        self.token_modes: dict[str, str] = {}
        self.schedules: list[dict] = []
        self.allows = 0
        self.releases = 0
        self.startup_reports = 0
        self._granted: set[str] = set()         # allow tokens not released yet
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="zerogpu-device-api", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {value!r}")
        self._mode = value

    def durations(self) -> list:
        with self._lock:
            return [s["durationSeconds"] for s in self.schedules]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def answer(self, method: str, path: str, query: dict[str, str]) -> tuple[int, object]:
        """(status, JSON body) for one request; the routes of spaces/zero/api.py's APIClient."""
        with self._lock:
            if (method, path) == ("POST", "/startup-report"):
                self.startup_reports += 1
                return 200, None
            if (method, path) == ("POST", "/schedule"):
                return self._schedule(query)
            if (method, path) == ("POST", "/allow"):
                self.allows += 1
                return 200, None
            if (method, path) == ("POST", "/release"):
                self.releases += 1
                self._granted.discard(query.get("allowToken"))
                return 200, None
            if (method, path) == ("GET", "/queue-size"):
                return 200, 0
            if (method, path) == ("POST", "/mode"):
                value, token = query.get("value", ""), query.get("token")
                if value not in MODES:
                    return 400, {"detail": f"mode must be one of {MODES}, got {value!r}"}
                if token is None:
                    self.mode = value
                else:
                    self.token_modes[token] = value
                return 200, {"mode": value}
        return 404, {"detail": f"no route {method} {path}"}

    def _schedule(self, query: dict[str, str]) -> tuple[int, object]:
        mode = self.token_modes.get(query.get("token"), self.mode)
        self.schedules.append({**{key: _int(query.get(key)) for key in ("taskId", "durationSeconds")}, "mode": mode})
        if mode == "quota":      # spaces' client raises gr.Error("Space app has reached its GPU limit…") (no token)
            return 429, {"left": 12, "wait": 30}
        if mode == "nogpu":      # ... and gr.Error("No GPU was available")
            return 503, {"detail": "no GPU available"}
        # idle: the slot's last grant was released, so the package may reuse its worker process
        idle = not self._granted
        token = str(uuid.uuid4())
        self._granted.add(token)
        return 200, {"idle": idle, "nvidiaIndex": 0, "nvidiaUUID": "GPU-emulated", "allowToken": token}


def ip_token(subject: str) -> str:
    """An X-IP-Token as a Space's proxy adds to each visitor's request (a JWT; spaces reads only its payload and
    passes the token on to /schedule): send it as a header to be one visitor, told apart by the stub."""
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none'})}.{part({'sub': subject})}.emulated"


def _int(value: str | None):
    """A query's number as an int; anything else as sent (a test then shows what it was)."""
    return int(value) if value is not None and value.isdigit() else value


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # spaces opens an httpx client per call and never closes it: its keep-alive connection is reset when the
        # client is collected, which is not an error of the stub's (anything else is printed as usual)
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def _handler(stub: DeviceAPIStub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"          # keep-alive, as httpx expects; every answer has a Content-Length

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if length := int(self.headers.get("Content-Length") or 0):
                self.rfile.read(length)
            status, body = stub.answer(self.command, parts.path, query)
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, format, *args):  # noqa: A002  (quiet: the stub's log is `stub.schedules`)
            pass

    return Handler


@dataclass
class ZeroGPUApp:
    """A running emulated Space: its URL, its device API stub, its log (stdout and stderr)."""
    url: str
    stub: DeviceAPIStub
    log_path: Path
    process: subprocess.Popen

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def set_mode(self, mode: str, token: str | None = None) -> None:
        """Switch the device API's answers (to the visitors with `token` only, if given), over HTTP, as a script
        driving a running app would."""
        import httpx
        params = {"value": mode, **({"token": token} if token is not None else {})}
        httpx.post(f"{self.stub.url}/mode", params=params, timeout=10).raise_for_status()

    def report(self) -> dict:
        """GET /zerogpu-emulation: what the app's main process saw of CUDA (tests/zerogpu_app.py)."""
        import httpx
        return httpx.get(f"{self.url}/zerogpu-emulation", timeout=30).raise_for_status().json()


def zerogpu_env(tmp_path: Path, stub: DeviceAPIStub) -> dict[str, str]:
    """The environment of a ZeroGPU Space, on this machine: what the `spaces` package reads (its spaces/config.py)
    pointed at the stub and at private temp dirs, so nothing outside tmp_path is read or written."""
    (tmp_path / "home").mkdir(parents=True, exist_ok=True)
    cgroup = tmp_path / "cgroup"             # a Space's /proc/self/cgroup (v2): the path the API grants a GPU to
    cgroup.write_text("0::/zerogpu-emulation\n")
    # OMP_NUM_THREADS is this process's, set or not: app.py picks torch's threads from it, and the answers are
    # compared with the plain server's in this process (a float sum split over other threads can differ)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPACES_", "ZEROGPU_", "ZERO_GPU_"))}
    return {**env,
            "SPACES_ZERO_GPU": "true",
            "SPACES_ZERO_DEVICE_API_URL": stub.url,
            "ZEROGPU_PROC_SELF_CGROUP_PATH": str(cgroup),
            "ZEROGPU_OFFLOAD_DIR": str(tmp_path / "offload"),
            "HOME": str(tmp_path / "home"),   # spaces keeps ~/.zerogpu (worker clean-ups) under HOME
            "GRADIO_ANALYTICS_ENABLED": "False",
            "GRADIO_TEMP_DIR": str(tmp_path / "gradio"),
            "MPLBACKEND": "Agg",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1"}


@contextlib.contextmanager
def zerogpu_app(tmp_path: Path, mode: str = "grant", env: dict[str, str] | None = None):
    """The app as on a ZeroGPU Space, in a subprocess, with its device API stub (and `env` added to its
    environment); yields a ZeroGPUApp once a gradio_client can connect, and stops both after."""
    from gradio_client import Client

    from conftest import free_port

    tmp_path.mkdir(parents=True, exist_ok=True)
    stub = DeviceAPIStub(mode)
    port = free_port()
    log_path = tmp_path / "zerogpu-app.log"
    log = open(log_path, "w")
    # a process group of its own: spaces' GPU workers are forks of the app, and go with it (_stop)
    proc = subprocess.Popen([sys.executable, str(LAUNCHER), str(port)], cwd=ROOT, env={**zerogpu_env(tmp_path, stub), **(env or {})},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    z = ZeroGPUApp(f"http://127.0.0.1:{port}", stub, log_path, proc)
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the ZeroGPU app exited ({proc.returncode}) before serving:\n{z.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the ZeroGPU app did not serve in {START_DEADLINE_S} s:\n{z.log_tail()}")
            try:
                Client(z.url, verbose=False).close()
                break
            except Exception:                  # not listening yet (the app imports for a few seconds)
                time.sleep(0.5)
        yield z
    finally:
        _stop(proc)
        log.close()
        stub.close()


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """End the app and its GPU workers together: they are its forks, in the process group made at Popen (the
    workers close their queue and exit on SIGTERM; a Ctrl-C would let Gradio wait ~5 s for its connections).
    The app is reaped only after the last signal: until then its pid, the group's id, cannot be reused."""
    if proc.returncode is None:                      # not reaped yet (a failed start is, by its poll())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not os.waitid(os.P_PID, proc.pid,
                                                            os.WEXITED | os.WNOHANG | os.WNOWAIT):
            time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):    # whatever of the group is still there
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=timeout)


# ----------------------------------------------------------------------------- calling every event
Outcome = tuple[str, str]            # ("ok", summary) | ("error", message)


def call_every_named_event(client, *, overrides: dict[str, dict[str, object]] | None = None,
                           normalise: dict[str, Callable[[str], str]] | None = None,
                           timeout: float = CALL_TIMEOUT_S) -> dict[str, Outcome]:
    """{api_name: ("ok", summary) | ("error", message)} for every named endpoint, in the API's order, each called
    once with its parameters' defaults (None where there is none). A streaming endpoint's summary is of what its
    outputs show at the end (`final_state`). `overrides` {api_name: {parameter label: value}} replaces some
    defaults (a label it names must exist); `normalise` {api_name: fn} rewrites a summary (a timing in its text)
    before it is compared."""
    from gradio_client.exceptions import AppError

    overrides, normalise = overrides or {}, normalise or {}
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    unknown = set(overrides) - set(api)
    assert not unknown, f"overrides name endpoints the app does not have: {sorted(unknown)}"
    results = {}
    for name, info in api.items():
        args = _arguments(name, info["parameters"], overrides.get(name, {}))
        job = client.submit(*args, api_name=name)
        try:
            job.result(timeout=timeout)
        except AppError as e:
            results[name] = ("error", str(e.message if e.message is not None else e))
            continue
        except Exception as e:                  # a timeout, a broken stream: an outcome too, never skipped
            job.cancel()
            results[name] = ("error", f"{type(e).__name__}: {e}")
            continue
        answer = final_state(job.outputs(), len(info["returns"]))
        results[name] = ("ok", _shorten(normalise.get(name, lambda text: text)(describe(answer))))
    return results


def final_state(outputs: list, n: int):
    """What n outputs show once an answer ends, through every yield of a stream: a yield may update only some
    outputs or some properties (`{"__type__": "update"}` alone changes nothing). Compared this way, a run that
    streams in other chunks (one GPU call per chunk) but ends on the same page answers the same."""
    state = [{} for _ in range(n)]
    for out in outputs:
        for props, value in zip(state, [out] if n == 1 else out):
            if isinstance(value, dict) and value.get("__type__") == "update":
                props.update((k, v) for k, v in value.items() if k != "__type__")
            else:
                props["value"] = value
    shown = [props["value"] if list(props) == ["value"] else props for props in state]
    return shown[0] if n == 1 else tuple(shown)


def _arguments(name: str, parameters: list[dict], overrides: dict[str, object]) -> list:
    labels = [p["label"] for p in parameters]
    missing = set(overrides) - set(labels)
    assert not missing, f"{name} has no parameter labelled {sorted(missing)} (its labels: {labels})"
    return [overrides[p["label"]] if p["label"] in overrides else
            p["parameter_default"] if p.get("parameter_has_default") else None for p in parameters]


def describe(value) -> str:
    """An answer in full, comparable form: a file (image, GIF, CSV) by a hash of its bytes, a .zip by its
    members' names and bytes (a zip's own bytes hold each member's time of writing), anything else by repr."""
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and os.path.isabs(value) and Path(value).is_file():
        path, digest = Path(value), hashlib.sha256()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for member in zf.infolist():
                    digest.update(member.filename.encode() + b"\0" + zf.read(member) + b"\0")
        else:
            digest.update(path.read_bytes())
        return f"file{path.suffix}:{digest.hexdigest()[:16]}"
    return repr(value)


def _shorten(text: str, keep: int = 160) -> str:
    """Short enough to read in a failed assert; long text keeps its start and a hash of the whole."""
    if len(text) <= 2 * keep:
        return text
    return f"{text[:keep]}…(len {len(text)}, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]})"
