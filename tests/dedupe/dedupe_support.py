"""What tests/dedupe shares: private redis-servers, the example receivers started under their real servers, signed
ELMED deliveries, and the storm client that sends many copies at once and classifies every answer.

Every wait here is bounded, every port is asked of the kernel, and every process runs in its own session so that the
whole process group (a gunicorn master and its workers, PHP's built-in server and its children) is stopped at once.
"""

from __future__ import annotations

import atexit
import hashlib
import http.client
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import pytest

import hookseal

ROOT = Path(__file__).resolve().parents[2]

ELMED_SECRET = "whsk_test_elmed_secret"
NOVAMED_KEY = "nm_test_api_key"
BAREMEDS_KEY = "bm_test_webhook_key"

STARTUP_TIMEOUT = 30.0  # a server must listen (and Redis answer PING) within this
STOP_TIMEOUT = 10.0  # SIGTERM, then SIGKILL after this
REQUEST_TIMEOUT = 15.0  # one HTTP exchange
LOG_TAIL_LINES = 300  # of each captured log, in a failure report

EXAMPLES = ("flask", "fastapi", "express", "php")
# The framework helpers' examples (issue 17), in the storm: Django under gunicorn -w 4, Fastify and Hono as two
# processes each, Laravel under PHP's built-in server with 4 workers.
FRAMEWORK_EXAMPLES = ("django", "fastify", "hono", "laravel")
# How many processes each example runs as: one process with workers behind one port (gunicorn -w 4, PHP's
# built-in server with 4 workers), or two independent processes on two ports behind a "load balancer" (the client).
PROCESSES = {"flask": 1, "fastapi": 2, "express": 2, "php": 1, "django": 1, "fastify": 2, "hono": 2, "laravel": 1}

# A server's start command: port -> (argv, environment additions).
Command = Callable[[int], Tuple[List[str], Mapping[str, str]]]

# When a server with several workers is ready: a line each worker logs once it has loaded the app, and how many.
Ready = Tuple["re.Pattern[str]", int]

# How each server says its port is taken (Redis, uvicorn, Node, PHP, gunicorn).
_ADDRESS_IN_USE = re.compile(
    r"address already in use|eaddrinuse|errno 98|failed to listen|connection in use", re.IGNORECASE
)


def free_port() -> int:
    """A loopback port that nobody listens on right now (the kernel's choice). Another process can take it before the
    caller binds it: the starters below retry on another port when a server fails with "address in use"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_answers(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    kept = text.splitlines()
    if len(kept) <= lines:
        return text
    return f"[... {len(kept) - lines} earlier lines left out ...]\n" + "\n".join(kept[-lines:])


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8", "replace")
    except OSError:
        return ""


def _stop_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
    """Stops a process started with start_new_session=True, and everything in its process group: ``sig`` first,
    SIGKILL after ``timeout``, then SIGKILL to whatever of the group outlived its leader (orphaned workers)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=timeout)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def children_of(pid: int) -> List[int]:
    """The live child processes of ``pid`` (from /proc), e.g. a gunicorn master's workers."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


# --- Redis ---------------------------------------------------------------------------------------------------------


def redis_server_binary() -> str:
    """redis-server: $HOOKSEAL_REDIS_SERVER (set by scripts/with-redis.sh), else the one on PATH. Missing, the suite
    fails, as every store test does without Redis: a skipped Redis test would hide the backend most hosts share."""
    binary = os.environ.get("HOOKSEAL_REDIS_SERVER") or shutil.which("redis-server")
    if not binary:
        pytest.fail(
            "redis-server is not installed: scripts/ensure-tools.sh installs it (Debian's redis-server), or run the "
            "suite under scripts/with-redis.sh",
            pytrace=False,
        )
    return binary


def resp_command(port: int, *args: str, timeout: float = 2.0) -> Any:
    """Sends one command in RESP and returns its reply: str for +simple, int for :integer, bytes/None for bulk;
    raises RuntimeError for -ERR. Only what the tests need (no arrays)."""
    payload = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        reader = sock.makefile("rb")
        line = reader.readline()
        if not line.endswith(b"\r\n"):
            raise RuntimeError(f"redis on port {port} closed the connection after {args[0]}")
        kind, rest = line[:1], line[1:-2].decode()
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError(f"redis on port {port}: {rest}")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            return None if length < 0 else reader.read(length + 2)[:-2]
        raise RuntimeError(f"unexpected reply from redis on port {port}: {line!r}")


class RedisServer:
    """A private redis-server on a free loopback port, its data directory in the test's tmp_path.

    ``persist=False``: nothing is written to disk (``--save '' --appendonly no``), so a stopped server comes back
    empty. ``persist=True``: an append-only file in the same directory (``--appendonly yes --appendfsync always``),
    so ``stop()`` then ``start()`` brings back every key, with its expiry (Redis stores absolute expiry times).
    """

    def __init__(self, binary: str, directory: Path, *, persist: bool = False) -> None:
        self.binary = binary
        self.directory = directory
        self.persist = persist
        self.port = 0
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.log_path = directory / "redis.log"
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self) -> List[str]:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]
        return [
            self.binary,
            "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.directory),
            "--save", "",
            *persistence,
            "--daemonize", "no",
            "--logfile", str(self.log_path),
        ]  # fmt: skip

    def start(self) -> None:
        """Starts the server: on a fresh free port the first time (another one if that is taken meanwhile), on the
        same port after a ``stop()``. Returns once it answers PING."""
        assert self.proc is None or self.proc.poll() is not None, "redis-server is already running"
        fixed = self.port != 0
        for attempt in range(5 if not fixed else 20):
            if not fixed:
                self.port = free_port()
            with open(self.log_path, "ab") as log:
                log.write(f"--- start on port {self.port} (attempt {attempt + 1})\n".encode())
            self.proc = subprocess.Popen(
                self._argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if resp_command(self.port, "PING", timeout=0.5) == "PONG":
                        return
                except (OSError, RuntimeError):
                    pass
                time.sleep(0.05)
            if self.proc.poll() is None:
                _stop_group(self.proc)
                pytest.fail(
                    f"redis-server did not answer PING within {STARTUP_TIMEOUT} s:\n{self.log()}", pytrace=False
                )
            if not _ADDRESS_IN_USE.search(_read(self.log_path).rsplit("--- start", 1)[-1]):
                pytest.fail(f"redis-server exited with {self.proc.returncode} on start:\n{self.log()}", pytrace=False)
            time.sleep(0.1 if fixed else 0)  # same port: the previous server's socket may linger an instant
        pytest.fail(f"redis-server found no port to listen on:\n{self.log()}", pytrace=False)

    def stop(self) -> None:
        """Stops the server (SIGTERM: a clean shutdown, which with ``persist`` flushes the append-only file) and
        waits until its port is closed."""
        if self.proc is not None:
            _stop_group(self.proc)
        deadline = time.monotonic() + STOP_TIMEOUT
        while port_answers(self.port, timeout=0.2) and time.monotonic() < deadline:
            time.sleep(0.05)

    def command(self, *args: str) -> Any:
        return resp_command(self.port, *args)

    def pause(self, ms: int) -> None:
        """CLIENT PAUSE ms ALL: every client's commands wait for ``ms`` (connections are still accepted)."""
        reply = self.command("CLIENT", "PAUSE", str(ms), "ALL")
        assert reply == "OK", reply

    def log(self) -> str:
        return tail(_read(self.log_path))


# --- servers -------------------------------------------------------------------------------------------------------


class Server:
    """One server process (and its process group), started with an environment, its stdout and stderr captured to a
    file in tmp_path (one file per start, so a restarted server's log is its own)."""

    def __init__(self, name: str, command: Command, log_dir: Path, ready: Optional[Ready] = None) -> None:
        self.name = name
        self.command = command
        self.log_dir = log_dir
        self.ready = ready
        self.port = 0
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.logs: List[Path] = []

    @property
    def log_path(self) -> Path:
        """The log of the current (latest) start."""
        return self.logs[-1]

    def start(self, port: Optional[int] = None, command: Optional[Command] = None) -> "Server":
        """Starts the server on ``port`` (default: the previous port after a stop, else a free one) and returns once
        the port answers. ``command`` replaces the start command (e.g. the same example with other settings)."""
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is already running"
        if command is not None:
            self.command = command
        fixed = port is not None or self.port != 0
        if port is not None:
            self.port = port
        for attempt in range(20 if fixed else 5):
            if not fixed:
                self.port = free_port()
            argv, extra = self.command(self.port)
            env = {**os.environ, **extra}
            log_path = self.log_dir / f"{self.name}-{len(self.logs) + 1}.log"
            self.logs.append(log_path)
            with open(log_path, "wb") as log:
                log.write(f"$ {' '.join(argv)}   (port {self.port})\n".encode())
                log.flush()
                self.proc = subprocess.Popen(
                    argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                if port_answers(self.port, timeout=0.5) and self.proc.poll() is None and self._workers_ready(log_path):
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.stop()
                pytest.fail(
                    f"{self.name} was not listening on port {self.port}, every worker ready, after {STARTUP_TIMEOUT} s;"
                    f" its log:\n"
                    f"{tail(_read(log_path))}",
                    pytrace=False,
                )
            _stop_group(self.proc)  # its workers, if any outlived it
            if not _ADDRESS_IN_USE.search(_read(log_path)):
                pytest.fail(
                    f"{self.name} exited with {self.proc.returncode} on start; its log:\n{tail(_read(log_path))}",
                    pytrace=False,
                )
            time.sleep(0.2 if fixed else 0)
        pytest.fail(f"{self.name} found no port to listen on; its log:\n{tail(_read(self.log_path))}", pytrace=False)

    def _workers_ready(self, log_path: Path) -> bool:
        """Every worker has loaded the app (``ready``: a line each logs, and how many): a pre-forking server listens
        as soon as its first worker boots, and a race sent before the others have would be served by one worker."""
        if self.ready is None:
            return True
        pattern, count = self.ready
        return len(pattern.findall(_read(log_path))) >= count

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            _stop_group(self.proc, sig)

    def kill(self) -> None:
        """SIGKILL to the whole process group, at once: a crash (nothing runs its cleanup)."""
        if self.proc is not None:
            _stop_group(self.proc, signal.SIGKILL)

    def workers(self) -> List[int]:
        assert self.proc is not None
        return children_of(self.proc.pid)

    def log(self) -> str:
        return "\n".join(_read(path) for path in self.logs)

    def wait_for_log(self, pattern: str, timeout: float) -> "re.Match[str]":
        """Waits (at most ``timeout`` s) until the current start's log matches ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = _read(self.log_path)
            match = regex.search(text)
            if match:
                return match
            if time.monotonic() >= deadline:
                pytest.fail(
                    f"{self.name}: no log line matching {pattern!r} within {timeout} s; its log:\n{tail(text)}",
                    pytrace=False,
                )
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}; its log:\n{tail(text)}", pytrace=False)
            time.sleep(0.05)


# --- the examples --------------------------------------------------------------------------------------------------


def _venv_bin(tool: str) -> str:
    for candidate in (ROOT / ".venv" / "bin" / tool, Path(sys.executable).parent / tool):
        if candidate.exists():
            return str(candidate)
    pytest.fail(f"{tool} is not installed in .venv: run `make python` first", pytrace=False)


def ffi_library() -> Path:
    return Path(os.environ.get("HOOKSEAL_FFI_LIB") or ROOT / "target" / "release" / "libhookseal_ffi.so")


def example_ready(example: str) -> Optional[Ready]:
    """gunicorn listens once its first worker has booted; the Flask example is ready when all four have imported it
    (each logs its store). The other examples are one process per port."""
    if example in ("flask", "django"):
        return re.compile(r"INFO webhooks: store: "), 4
    return None


def example_argv(example: str, port: int) -> List[str]:
    """How each example is served, as README.md says (and as in production: several workers or processes)."""
    if example == "flask":
        # No --preload: each worker imports the app and opens its own store connection (a connection opened in the
        # master and inherited by forked workers would be shared by all of them).
        return [
            _venv_bin("gunicorn"), "-w", "4", "--chdir", str(ROOT / "examples" / "flask"), "app:app",
            "-b", f"127.0.0.1:{port}", "--graceful-timeout", "3", "--no-control-socket",
        ]  # fmt: skip
    if example == "fastapi":
        return [
            _venv_bin("uvicorn"), "--app-dir", str(ROOT / "examples" / "fastapi"), "app:app",
            "--host", "127.0.0.1", "--port", str(port), "--timeout-graceful-shutdown", "3",
        ]  # fmt: skip
    if example == "django":
        return [
            _venv_bin("gunicorn"), "-w", "4", "--chdir", str(ROOT / "examples" / "django"), "receiver.wsgi",
            "-b", f"127.0.0.1:{port}", "--graceful-timeout", "3", "--no-control-socket",
        ]  # fmt: skip
    if example in ("express", "fastify", "hono"):
        return ["node", str(ROOT / "examples" / example / "app.js")]
    if example == "php":
        return ["php", "-d", "ffi.enable=1", "-S", f"127.0.0.1:{port}", "-t", str(ROOT / "examples" / "php")]
    if example == "laravel":
        public = ROOT / "examples" / "laravel" / "public"
        return ["php", "-d", "ffi.enable=1", "-S", f"127.0.0.1:{port}", "-t", str(public), str(public / "index.php")]
    raise ValueError(example)


def example_env(example: str, port: int, store: str, delay_ms: int) -> Dict[str, str]:
    env = {
        "ELMED_WEBHOOK_SECRET": ELMED_SECRET,
        "NOVAMED_WEBHOOK_SECRET": NOVAMED_KEY,
        "BAREMEDS_WEBHOOK_KEY": BAREMEDS_KEY,
        "HOOKSEAL_STORE": store,
        "HOOKSEAL_EXAMPLE_DELAY_MS": str(delay_ms),
        "PYTHONUNBUFFERED": "1",
        "PORT": str(port),
    }
    if example in ("php", "laravel"):
        env["PHP_CLI_SERVER_WORKERS"] = "4"
        env["HOOKSEAL_FFI_LIB"] = str(ffi_library())
    if example == "laravel":
        # Laravel's provider manifests go to a folder of the run's, never into the checkout's bootstrap/cache.
        scratch = Path(tempfile.mkdtemp(prefix="hookseal-laravel-"))
        atexit.register(shutil.rmtree, scratch, True)
        env["APP_SERVICES_CACHE"] = str(scratch / "services.php")
        env["APP_PACKAGES_CACHE"] = str(scratch / "packages.php")
    return env


class Example:
    """One example receiver: its processes (one or two), and a round-robin over their ports."""

    def __init__(self, name: str, servers: List[Server]) -> None:
        self.name = name
        self.servers = servers

    @property
    def ports(self) -> List[int]:
        return [server.port for server in self.servers]

    def balancer(self) -> "Balancer":
        return Balancer(self.ports)

    def log(self) -> str:
        return "\n".join(server.log() for server in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


class Balancer:
    """Round-robin over ports, as a load balancer in front of the processes would (thread-safe)."""

    def __init__(self, ports: Sequence[int]) -> None:
        self._ports = list(ports)
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return self._ports[next(self._counter) % len(self._ports)]


# --- deliveries and answers ----------------------------------------------------------------------------------------


def elmed_body(n: int) -> bytes:
    return (
        '{"event":"order.status_changed","timestamp":"2026-03-29T10:45:00",'
        f'"data":{{"order_number":"ORD-{n}","status":"shipped"}}}}'
    ).encode()


def elmed_headers(body: bytes) -> Dict[str, str]:
    headers = dict(hookseal.sign("elmed", body, secret=ELMED_SECRET))
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    return headers


def body_key(body: bytes) -> str:
    """ELMED's idempotency key (docs/providers.md: no event id in the payload, so the digest of the raw body)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass
class Answer:
    port: int
    sent_at: float  # time.monotonic() when the request was sent
    elapsed: float  # seconds until the whole answer was read (or the error)
    status: Optional[int] = None  # None: no HTTP answer at all (refused, reset, timed out)
    body: Any = None  # the JSON, or the raw text when it is not JSON
    retry_after: Optional[str] = None
    error: Optional[str] = None  # the client-side error, without an HTTP answer

    @property
    def kind(self) -> str:
        """processed | duplicate | in_progress | store_unavailable | failure (anything else, or a 503 without a
        Retry-After of whole seconds >= 1)."""
        body = self.body if isinstance(self.body, dict) else {}
        if self.status == 200 and body.get("status") in ("processed", "duplicate"):
            return str(body["status"])
        if self.status == 503 and body.get("error") in ("in_progress", "store_unavailable"):
            if self.retry_after is not None and self.retry_after.isdigit() and int(self.retry_after) >= 1:
                return str(body["error"])
        return "failure"

    @property
    def key(self) -> Optional[str]:
        body = self.body if isinstance(self.body, dict) else {}
        key = body.get("idempotency_key", body.get("idempotencyKey"))  # Express answers `processed` in camelCase
        return key if isinstance(key, str) else None

    def describe(self, *, brief: bool = False) -> str:
        """The answer in one line; ``brief`` leaves out the port and the time (to group repeated answers)."""
        where = "" if brief else f"port {self.port}: "
        if self.status is None:
            return f"{where}no answer" + ("" if brief else f" after {self.elapsed:.2f} s") + f" ({self.error})"
        extra = f", Retry-After {self.retry_after!r}" if self.retry_after is not None else ""
        took = "" if brief else f" after {self.elapsed:.2f} s"
        return f"{where}{self.status}{extra}{took}: {self.body!r}"


def request(
    port: int,
    method: str,
    path: str,
    body: Optional[bytes] = None,
    headers: Optional[Mapping[str, str]] = None,
    timeout: float = REQUEST_TIMEOUT,
) -> Answer:
    """One HTTP exchange on a fresh connection; a connection error or timeout is an Answer without a status."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        raw = response.read()
        answer = Answer(port, started, time.monotonic() - started, response.status)
        answer.retry_after = response.getheader("Retry-After")
        try:
            answer.body = json.loads(raw)
        except ValueError:
            answer.body = raw.decode("utf-8", "replace")
        return answer
    except (OSError, http.client.HTTPException) as error:
        return Answer(port, started, time.monotonic() - started, error=f"{type(error).__name__}: {error}")
    finally:
        conn.close()


@dataclass
class Delivery:
    """One copy of an event as a provider sends it, with the answers to it and to its retries."""

    event: int  # the event's index in the run
    body: bytes
    headers: Dict[str, str]
    answers: List[Answer] = field(default_factory=list)

    @property
    def final(self) -> Answer:
        return self.answers[-1]

    def describe(self) -> str:
        """The event and its answers in order, a run of equal answers shown once with its count."""
        if len(self.answers) == 1:
            return f"event {self.event} ({body_key(self.body)}): {self.answers[0].describe()}"
        runs: List[List[Any]] = []
        for answer in self.answers:
            text = answer.describe(brief=True)
            if runs and runs[-1][0] == text:
                runs[-1][1] += 1
            else:
                runs.append([text, 1])
        shown = " -> ".join(text if count == 1 else f"{text} (x{count})" for text, count in runs)
        return f"event {self.event} ({body_key(self.body)}): {shown}"


def deliver(
    balancer: Balancer,
    delivery: Delivery,
    *,
    retry_on: Iterable[str] = ("in_progress",),
    max_tries: int = 30,
    max_sleep: float = 0.2,
    deadline: Optional[float] = None,
    path: str = "/webhooks/elmed",
    timeout: float = REQUEST_TIMEOUT,
) -> Delivery:
    """Sends the delivery (to the balancer's next port), then retries it as a provider would while the answer is one
    of ``retry_on``: at most ``max_tries`` sends in all (and none after ``deadline``, a time.monotonic()), sleeping
    Retry-After between them but never more than ``max_sleep`` (the tests must stay fast)."""
    retry = set(retry_on)
    for attempt in range(max_tries):
        answer = request(balancer.next(), "POST", path, delivery.body, delivery.headers, timeout=timeout)
        delivery.answers.append(answer)
        if answer.kind not in retry or attempt == max_tries - 1:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(min(float(answer.retry_after or 1), max_sleep))
    return delivery


def storm(
    balancer: Balancer, bodies: Sequence[bytes], copies: int, *, workers: int = 50, **retry: Any
) -> List[Delivery]:
    """Every body sent ``copies`` times at once from a pool of ``workers`` threads (the copies of one event are queued
    next to each other, so they overlap), each copy retried as ``deliver`` does (no retry starts after 2 minutes)."""
    retry.setdefault("deadline", time.monotonic() + 120)
    deliveries = [
        Delivery(event, body, elmed_headers(body)) for event, body in enumerate(bodies) for _ in range(copies)
    ]
    with ThreadPoolExecutor(max_workers=min(workers, len(deliveries))) as pool:
        list(pool.map(lambda d: deliver(balancer, d, **retry), deliveries))
    return deliveries


def counts(deliveries: Sequence[Delivery]) -> Dict[str, int]:
    """How many answers of each kind (every send, retries included), and how many deliveries were retried."""
    tally: Dict[str, int] = {}
    for delivery in deliveries:
        for answer in delivery.answers:
            tally[answer.kind] = tally.get(answer.kind, 0) + 1
    tally["deliveries"] = len(deliveries)
    tally["retried deliveries"] = sum(1 for d in deliveries if len(d.answers) > 1)
    return tally


def processing_keys(log: str) -> List[str]:
    """The idempotency keys of every `processing <key>` line the handlers logged (one per handler run)."""
    return re.findall(r"\bprocessing (\S+)", log)


def check_exactly_once(
    deliveries: Sequence[Delivery],
    log: str,
    *,
    new: Sequence[int],
    done: Sequence[int] = (),
    allowed_retries: Iterable[str] = ("in_progress",),
    already_processed: Optional[Mapping[str, int]] = None,
    orphaned_claims: bool = False,
) -> None:
    """The exactly-once assertions, with every count and the failing answers in the message:

    - every answer is one of processed, duplicate, or a 503 of ``allowed_retries`` (with a valid Retry-After);
    - every delivery ends on processed or duplicate (one answered in_progress on duplicate: see below);
    - each event of ``new`` is answered processed exactly once, each of ``done`` (processed before) never;
    - the answers' idempotency keys are the body digests, and the handler logged `processing <key>` once for each
      event of ``new`` (plus ``already_processed[key]`` earlier runs), never for those of ``done``.

    A delivery answered in_progress and then processed means the claim it waited for was released or ran out: a
    bug, unless ``orphaned_claims`` (a store command that timed out on the receiver's side may still have been run by
    the server later, leaving a claim nobody holds until its lease runs out).
    """
    earlier = already_processed or {}
    allowed = {"processed", "duplicate", *allowed_retries}
    problems: List[str] = []
    processed: Dict[int, int] = {}
    for delivery in deliveries:
        key = body_key(delivery.body)
        for answer in delivery.answers:
            if answer.kind not in allowed:
                problems.append(f"unexpected answer: {delivery.describe()}")
                break
            if answer.kind in ("processed", "duplicate") and answer.key != key:
                problems.append(f"idempotency key {answer.key!r}, expected {key!r}: {delivery.describe()}")
        final = delivery.final.kind
        if final not in ("processed", "duplicate"):
            problems.append(f"never settled (still {final} after {len(delivery.answers)} tries): {delivery.describe()}")
        processed[delivery.event] = processed.get(delivery.event, 0) + sum(
            1 for a in delivery.answers if a.kind == "processed"
        )
        if "in_progress" in (a.kind for a in delivery.answers[:-1]) and final == "processed" and not orphaned_claims:
            # The holder released its claim (its handler failed), or its lease ran out: either is a bug here.
            problems.append(f"processed after in_progress: {delivery.describe()}")
    for event in new:
        if processed.get(event, 0) != 1:
            problems.append(f"event {event} was answered processed {processed.get(event, 0)} times, not once")
    for event in done:
        if processed.get(event, 0) != 0:
            problems.append(f"event {event}, processed earlier, was answered processed {processed[event]} times")
    runs: Dict[str, int] = {}
    for key in processing_keys(log):
        runs[key] = runs.get(key, 0) + 1
    keys = {d.event: body_key(d.body) for d in deliveries}
    for event in new:
        expected = 1 + earlier.get(keys[event], 0)
        if runs.get(keys[event], 0) != expected:
            problems.append(f"event {event}: the handler ran {runs.get(keys[event], 0)} times (its `processing "
                            f"{keys[event]}` lines), expected {expected}")  # fmt: skip
    for event in done:
        expected = earlier.get(keys[event], 1)
        if runs.get(keys[event], 0) != expected:
            problems.append(f"event {event}, processed before: the handler ran {runs.get(keys[event], 0)} times "
                            f"(its `processing {keys[event]}` lines), expected {expected}")  # fmt: skip
    if problems:
        shown = "\n  ".join(problems[:25])
        more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
        pytest.fail(f"not exactly once; answers: {counts(deliveries)}\n  {shown}{more}", pytrace=False)


def retry_after_seconds(answer: Answer) -> int:
    assert answer.retry_after is not None and answer.retry_after.isdigit(), answer.describe()
    return int(answer.retry_after)


def ceil_seconds(value: float) -> int:
    return max(1, math.ceil(value))


# --- the hookseal CLI ----------------------------------------------------------------------------------------------

CLI_TIMEOUT = 30.0  # one `hookseal send` (its retries included, on a scaled schedule)
_LISTEN_BANNER = re.compile(r"hookseal listen: (\S+) deliveries on http://127\.0\.0\.1:(\d+)/")
_checked_binaries: Dict[Tuple[str, float], str] = {}


def hookseal_binary() -> str:
    """The `hookseal` CLI under test: $HOOKSEAL_BIN (relative to the working directory, else to the repository), else
    target/release/hookseal. Missing, or built before `send` and `listen` existed, the test fails: a skipped test
    would pass on a machine that never built the CLI."""
    configured = os.environ.get("HOOKSEAL_BIN")
    path = Path(configured) if configured else ROOT / "target" / "release" / "hookseal"
    if not path.is_absolute() and not path.exists():
        path = ROOT / path
    where = "$HOOKSEAL_BIN" if configured else "the release CLI"
    if not path.is_file():
        pytest.fail(f"{path} ({where}) is missing: build it with `make cli`", pytrace=False)
    key = (str(path), path.stat().st_mtime)
    if key not in _checked_binaries:
        for command in ("send", "listen"):
            probe = subprocess.run(
                [str(path), command, "--help"], stdin=subprocess.DEVNULL, capture_output=True, timeout=CLI_TIMEOUT
            )
            if probe.returncode != 0:
                pytest.fail(
                    f"{path} ({where}) has no `hookseal {command}` (built from older sources?): build it with "
                    f"`make cli`; it said:\n{probe.stderr.decode('utf-8', 'replace')}",
                    pytrace=False,
                )
        _checked_binaries[key] = str(path)
    return _checked_binaries[key]


def cli_env() -> Dict[str, str]:
    """The environment of a CLI run: this one without HOOKSEAL_SECRET (every secret is passed with --secret)."""
    return {name: value for name, value in os.environ.items() if name != "HOOKSEAL_SECRET"}


@dataclass
class CliRun:
    """One finished `hookseal` command: its exit code (None: killed after the timeout) and output."""

    argv: List[str]
    returncode: Optional[int]
    stdout: str
    stderr: str
    elapsed: float

    def describe(self) -> str:
        ended = "killed after the timeout" if self.returncode is None else f"exit {self.returncode}"
        return (
            f"$ {' '.join(self.argv)}\n{ended} after {self.elapsed:.2f} s\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )

    def json_lines(self) -> List[Any]:
        """stdout's lines read as JSON (`--json`); a line that is not JSON fails the test."""
        return _json_lines(self.stdout, self.describe)


def _json_lines(text: str, describe: Callable[[], str]) -> List[Any]:
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}\n{describe()}", pytrace=False)
    return lines


def run_cli(args: Sequence[str], timeout: float = CLI_TIMEOUT) -> CliRun:
    """Runs `hookseal ARGS` to its end (cwd: the repository), in its own session; one that outlives ``timeout`` is
    killed, and its run has no exit code (a hang is a failure the caller reports)."""
    argv = [hookseal_binary(), *args]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=cli_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
        code: Optional[int] = proc.returncode
    except subprocess.TimeoutExpired:
        _stop_group(proc, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    elapsed = time.monotonic() - started
    return CliRun(argv, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), elapsed)


class Listener:
    """`hookseal listen --port 0 ARGS` in its own session: the port is read from its banner on stderr, standard output
    (one line per delivery) and standard error are captured to files in the log directory. ``stop()`` sends SIGINT
    (Ctrl-C) to its process group, then SIGKILL after a timeout."""

    def __init__(self, name: str, args: Sequence[str], log_dir: Path) -> None:
        self.name = name
        self.args = list(args)
        self.argv: List[str] = []
        self.stdout_path = log_dir / f"{name}.stdout"
        self.stderr_path = log_dir / f"{name}.stderr"
        self.port = 0
        self.provider = ""
        self.proc: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> "Listener":
        assert self.proc is None, f"{self.name} was started already"
        self.argv = [hookseal_binary(), "listen", "--port", "0", *self.args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=cli_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            banner = _LISTEN_BANNER.search(self.stderr())
            if banner:
                self.provider, self.port = banner.group(1), int(banner.group(2))
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} on start:\n{self.log()}", pytrace=False)
            if time.monotonic() >= deadline:
                self.stop()
                pytest.fail(f"{self.name} printed no banner within {STARTUP_TIMEOUT} s:\n{self.log()}", pytrace=False)
            time.sleep(0.02)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stdout(self) -> str:
        return _read(self.stdout_path)

    def stderr(self) -> str:
        return _read(self.stderr_path)

    def log(self) -> str:
        argv = " ".join(self.argv) if self.argv else "(not started)"
        return f"$ {argv}\n--- stdout\n{self.stdout()}--- stderr\n{self.stderr()}"

    def lines(self) -> List[Any]:
        """Its standard output read as JSON lines (`listen --json`): one per delivery, in the order answered."""
        return _json_lines(self.stdout(), self.log)

    def wait_for_lines(self, count: int, timeout: float = 5.0) -> List[Any]:
        """The JSON lines, once there are at least ``count`` (a line is printed as its answer goes out: the sender
        may read the answer a moment before the line is written)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            if len(lines) >= count or time.monotonic() >= deadline:
                return lines
            time.sleep(0.02)

    def stop(self) -> Optional[int]:
        """Ctrl-C (SIGINT to the group), SIGKILL after STOP_TIMEOUT; returns the exit code (negative: a signal)."""
        if self.proc is None:
            return None
        _stop_group(self.proc, signal.SIGINT)
        return self.proc.returncode
