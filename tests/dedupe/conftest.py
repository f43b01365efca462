"""Fixtures of tests/dedupe: private redis-servers, server processes and the example receivers, each stopped at
teardown (also when the test failed), and the captured logs of all of them added to a failing test's report."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable, Generator, Iterator, List, Optional, Sequence, Tuple

import pytest

import dedupe_support as support

LogSource = Tuple[str, Callable[[], str]]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for title, read in getattr(item, "_dedupe_logs", []):
            try:
                text = read()
            except Exception as error:  # a report must not fail because a log is gone
                text = f"(cannot read the log: {error})"
            report.sections.append((f"log of {title}", support.tail(text) or "(empty)"))


def _register_log(request: pytest.FixtureRequest, title: str, read: Callable[[], str]) -> None:
    logs: List[LogSource] = request.node.__dict__.setdefault("_dedupe_logs", [])
    logs.append((title, read))


@pytest.fixture
def free_port() -> Callable[[], int]:
    return support.free_port


@pytest.fixture
def redis_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., support.RedisServer]]:
    """A factory: ``redis_server(persist=False)`` starts a private redis-server on a free port, data in tmp_path;
    it has ``.url``, ``.port``, ``.stop()``, ``.start()`` (same port), ``.pause(ms)``, ``.command(...)``. Every one
    is stopped at teardown."""
    started: List[support.RedisServer] = []

    def start(*, persist: bool = False) -> support.RedisServer:
        directory = tmp_path / f"redis-{len(started) + 1}"
        server = support.RedisServer(support.redis_server_binary(), directory, persist=persist)
        started.append(server)
        _register_log(request, f"redis-server {len(started)}", server.log)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def start_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., support.Server]]:
    """A factory: ``start_server(name, command)`` with ``command(port) -> (argv, env additions)`` starts the command
    in its own session (cwd: the repository), its output in tmp_path/logs, and returns once the port answers. At
    teardown each one's whole process group gets SIGTERM, then SIGKILL after a timeout."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir(exist_ok=True)
    started: List[support.Server] = []

    def start(
        name: str, command: support.Command, port: Optional[int] = None, ready: Optional[support.Ready] = None
    ) -> support.Server:
        server = support.Server(name, command, log_dir, ready)
        started.append(server)
        _register_log(request, name, server.log)
        return server.start(port)

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def store_url(tmp_path: Path, redis_server: Callable[..., support.RedisServer]) -> Callable[..., str]:
    """``store_url("sqlite" | "redis", lease=None, redis=None)``: a fresh SQLite file in tmp_path, or a private
    Redis (``redis``, or a new one), as a HOOKSEAL_STORE URL, with ``?lease=`` if given."""

    def make(backend: str, *, lease: Optional[float] = None, redis: Optional[support.RedisServer] = None) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'store-{uuid.uuid4().hex[:8]}.db'}"
        elif backend == "redis":
            url = (redis or redis_server()).url
        else:
            raise ValueError(backend)
        return url if lease is None else f"{url}?lease={lease:g}"

    return make


@pytest.fixture
def launch_example(start_server: Callable[..., support.Server]) -> Callable[..., support.Example]:
    """``launch_example(name, store, delay_ms=0, processes=None)`` serves examples/<name> as
    tests/dedupe/README.md says (Flask: gunicorn -w 4; FastAPI: two uvicorn processes; Express: two node processes;
    PHP: php -S with 4 workers) with HOOKSEAL_STORE=store, and returns once every process listens."""

    def launch(name: str, store: str, *, delay_ms: int = 0, processes: Optional[int] = None) -> support.Example:
        if name == "php" and not support.ffi_library().exists():
            pytest.fail(f"{support.ffi_library()} is missing: build it with `make php` (or `make c-lib`)",
                        pytrace=False)  # fmt: skip
        count = processes if processes is not None else support.PROCESSES[name]
        servers = []
        for index in range(count):
            servers.append(
                start_server(f"{name}-{index + 1}", example_command(name, store, delay_ms),
                             ready=support.example_ready(name))
            )  # fmt: skip
        return support.Example(name, servers)

    return launch


def example_command(name: str, store: str, delay_ms: int) -> support.Command:
    """The start command of an example with these settings, for ``Server.start(command=...)`` (a restart with
    another delay)."""
    return lambda port: (
        support.example_argv(name, port),
        support.example_env(name, port, store, delay_ms),
    )


@pytest.fixture
def example_command_factory() -> Callable[..., support.Command]:
    """``example_command_factory(name, store, delay_ms=0)``: an example's start command, for a restart with other
    settings (``server.start(command=...)``)."""
    return lambda name, store, delay_ms=0: example_command(name, store, delay_ms)


def bodies(count: int) -> Sequence[bytes]:
    """``count`` distinct ELMED events, distinct from every other run's too (a store left over must not matter)."""
    base = uuid.uuid4().int % 10**9 * 1000
    return [support.elmed_body(base + i) for i in range(count)]


@pytest.fixture
def events() -> Callable[[int], Sequence[bytes]]:
    return bodies


@pytest.fixture
def hookseal_cli(request: pytest.FixtureRequest) -> Callable[..., support.CliRun]:
    """``hookseal_cli(*args, timeout=30)`` runs `hookseal ARGS` (support.hookseal_binary(): $HOOKSEAL_BIN, else
    target/release/hookseal) to its end and returns its exit code and output; a run past the timeout is killed.
    Every run's output is added to a failing test's report."""
    runs: List[support.CliRun] = []

    def run(*args: str, timeout: float = support.CLI_TIMEOUT) -> support.CliRun:
        done = support.run_cli(args, timeout=timeout)
        runs.append(done)
        _register_log(request, f"hookseal {args[0] if args else ''} (run {len(runs)})", done.describe)
        return done

    return run


@pytest.fixture
def hookseal_listen(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., support.Listener]]:
    """A factory: ``hookseal_listen(*args)`` starts `hookseal listen --port 0 ARGS` in its own session and returns
    once its banner gives the port (``.port``, ``.url(path)``, ``.lines()`` for --json, ``.stop()``). At teardown each
    one still running gets SIGINT, then SIGKILL after a timeout; its output is added to a failing test's report."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir(exist_ok=True)
    started: List[support.Listener] = []

    def start(*args: str) -> support.Listener:
        listener = support.Listener(f"hookseal-listen-{len(started) + 1}", args, log_dir)
        started.append(listener)
        _register_log(request, listener.name, listener.log)
        return listener.start()

    try:
        yield start
    finally:
        for listener in started:
            listener.stop()
