"""The runnable receivers in examples/flask, examples/fastapi and examples/django, served for real (gunicorn, uvicorn)
and sent real HTTP deliveries signed with ``hookseal.sign``: no framework test client sits between the socket and the
verifier, so what is checked is what a provider sees (status line, JSON body, chunked uploads, size limits,
Retry-After).

Each example runs with a dedupe store shared by all its processes (HOOKSEAL_STORE): a fresh SQLite file, and the test
Redis ($HOOKSEAL_TEST_REDIS_URL, required). Flask and Django are gunicorn with 4 workers; FastAPI is two uvicorn
processes on two ports, and deliveries alternate between them, so a retry is usually answered by another process than
the first copy. Every test sends its own unique body (a nonce, or a fresh NovaMed event_id) except where a duplicate is
the point.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import pytest

import hookseal

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "tests" / "samples"
ELMED_SAMPLES = sorted((SAMPLES / "elmed").glob("*.json"))
NOVAMED_SAMPLES = sorted((SAMPLES / "novamed").glob("*.json"))

ELMED_SECRET = "whsk_test_elmed_secret"
NOVAMED_KEY = "nm_test_api_key"
CLINIC_ID = "550e8400-e29b-41d4-a716-446655440000"  # the clinic of NovaMed's documented samples
MAX_BODY_BYTES = 65536
STARTUP_TIMEOUT = 20.0


@dataclass
class Server:
    name: str
    ports: List[int]
    log: Path
    store_url: str
    _next: Iterator[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._next = itertools.cycle(self.ports)

    def refusal(self, code: str) -> Dict[str, str]:
        """What every hookseal helper answers a refused delivery, Flask, FastAPI and Django alike."""
        return {"error": code}

    def port(self) -> int:
        """The next process's port (FastAPI's two alternate; gunicorn's workers share one)."""
        return next(self._next)

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _command(name: str, port: int) -> List[str]:
    if name in ("flask", "django"):
        # --preload imports the app before the port is bound, so a listening port means the app loaded (without it,
        # gunicorn listens first and a worker that fails to import the app is only noticed by the first request).
        return [
            sys.executable, "-m", "gunicorn",
            "--chdir", str(ROOT / "examples" / name),
            "--workers", "4", "--threads", "2", "--preload", "--no-control-socket",
            "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "3",
            "app:app" if name == "flask" else "receiver.wsgi",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "uvicorn",
        "--app-dir", str(ROOT / "examples" / "fastapi"),
        "app:app",
        "--host", "127.0.0.1", "--port", str(port),
        "--timeout-graceful-shutdown", "3",
    ]  # fmt: skip


def _wait_until_listening(proc: subprocess.Popen[bytes], port: int, log: Path, name: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    output = log.read_text("utf-8", "replace")
    state = f"exited with {proc.returncode}" if proc.poll() is not None else f"not listening after {STARTUP_TIMEOUT} s"
    pytest.fail(f"the {name} example server {state}; its stderr and stdout:\n{output}", pytrace=False)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def redis_url() -> str:
    url = os.environ.get("HOOKSEAL_TEST_REDIS_URL", "")
    if not url:
        pytest.fail("HOOKSEAL_TEST_REDIS_URL is not set: run the tests under scripts/with-redis.sh (make test does)",
                    pytrace=False)
    return url


def start(name: str, store_url: str, directory: Path, **extra_env: str) -> Iterator[Server]:
    """Serves the example (gunicorn -w 4, or two uvicorn processes) with ``store_url``; stops it afterwards. Django's
    wsgi.py loads its URLconf (views.py: the verifiers and the store) at import, so --preload catches a bad setting."""
    env = dict(os.environ)
    env.update(
        ELMED_WEBHOOK_SECRET=ELMED_SECRET,
        NOVAMED_WEBHOOK_SECRET=NOVAMED_KEY,
        NOVAMED_CLINIC_ID=CLINIC_ID,
        HOOKSEAL_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
        HOOKSEAL_STORE=store_url,
        PYTHONUNBUFFERED="1",
        **extra_env,
    )
    # The servers' output goes to a file opened for appending (every process writes at its end), not a pipe: nobody
    # reads a pipe while the tests run, and a full one would block the server.
    log = directory / f"{name}.log"
    procs: List[subprocess.Popen[bytes]] = []
    ports = [_free_port() for _ in range(2 if name == "fastapi" else 1)]
    try:
        with open(log, "ab") as out:
            for port in ports:
                procs.append(subprocess.Popen(_command(name, port), env=env, stdout=out, stderr=subprocess.STDOUT))
        for proc, port in zip(procs, ports):
            _wait_until_listening(proc, port, log, name)
        yield Server(name, ports, log, store_url)
    finally:
        for proc in procs:
            _stop(proc)


@pytest.fixture(
    scope="module",
    params=[(name, backend) for name in ("flask", "fastapi", "django") for backend in ("sqlite", "redis")],
    ids=lambda p: "-".join(p),
)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    name, backend = request.param
    directory = tmp_path_factory.mktemp(f"{name}-{backend}")
    store_url = f"sqlite://{directory / 'dedupe.db'}" if backend == "sqlite" else redis_url()
    yield from start(name, store_url, directory)


# --- sending deliveries --------------------------------------------------------------------------------------------


def post(
    server: Server,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    chunk_size: Optional[int] = None,
) -> Tuple[int, Any]:
    """POSTs ``body`` (with Content-Length, or chunked in pieces of ``chunk_size``) and returns (status, JSON)."""
    status, _, answer = exchange(server, path, body, headers, chunk_size=chunk_size)
    return status, answer


def exchange(
    server: Server,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    chunk_size: Optional[int] = None,
) -> Tuple[int, Dict[str, str], Any]:
    """POSTs to the next process: (status, headers with lower-case names, JSON)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port(), timeout=10)
    try:
        if chunk_size is None:
            conn.request("POST", path, body=body, headers=dict(headers))
        else:
            chunks = (body[i : i + chunk_size] for i in range(0, len(body), chunk_size))
            conn.request(
                "POST", path, body=chunks, headers={**headers, "Transfer-Encoding": "chunked"}, encode_chunked=True
            )
        response = conn.getresponse()
        raw = response.read()
        assert response.getheader("Content-Type", "").startswith("application/json"), raw
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw)
    finally:
        conn.close()


def with_nonce(sample: bytes) -> bytes:
    """The documented sample, byte for byte, with a unique first field (so that its digest, the ELMED idempotency
    key, is unique to this test)."""
    assert sample.startswith(b"{\n")
    return b'{\n  "nonce": "%s",\n' % uuid.uuid4().hex.encode() + sample[2:]


def elmed_body(sample: Path) -> bytes:
    return with_nonce(sample.read_bytes())


def elmed_signed(body: bytes, secret: str = ELMED_SECRET) -> Dict[str, str]:
    return hookseal.sign("elmed", body, secret=secret)


def body_key(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def novamed_body(sample: Path, event_id: str, **replace: str) -> bytes:
    """The documented sample with its event_id (and any other top-level string field) replaced in place."""
    text = sample.read_text("utf-8")
    for field, value in {"event_id": event_id, **replace}.items():
        text, count = re.subn(rf'("{field}": )"[^"]*"', rf'\g<1>"{value}"', text, count=1)
        assert count == 1, field
    return text.encode()


def novamed_signed(body: bytes, key: str = NOVAMED_KEY) -> Dict[str, str]:
    return hookseal.sign("novamed", body, secret=key)


def fresh_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


def processed(event_type: str, key: str, is_test: bool = False) -> Dict[str, Any]:
    return {"status": "processed", "event_type": event_type, "idempotency_key": key, "is_test": is_test}


def duplicate(key: str) -> Dict[str, Any]:
    return {"status": "duplicate", "idempotency_key": key}


# --- ELMED ---------------------------------------------------------------------------------------------------------


def test_samples_are_there() -> None:
    assert len(ELMED_SAMPLES) >= 5 and len(NOVAMED_SAMPLES) >= 2


@pytest.mark.parametrize("sample", ELMED_SAMPLES, ids=lambda p: p.stem)
def test_elmed_sample_is_processed_then_a_retry_is_a_duplicate(server: Server, sample: Path) -> None:
    body = elmed_body(sample)
    event_type = json.loads(body)["event"]
    headers = elmed_signed(body)

    assert post(server, "/webhooks/elmed", body, headers) == (200, processed(event_type, body_key(body)))
    # The provider retries with the same bytes: the same key, answered with a 2xx so that it stops retrying.
    assert post(server, "/webhooks/elmed", body, headers) == (200, duplicate(body_key(body)))


def test_concurrent_copies_are_processed_once(server: Server) -> None:
    # Copies of one event racing each other across the processes: the store lets one through. The others find it in
    # progress (503 with Retry-After, so the provider tries again) or, once it is done, a duplicate.
    body = elmed_body(ELMED_SAMPLES[0])
    headers = elmed_signed(body)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: exchange(server, "/webhooks/elmed", body, headers), range(6)))
    event_type = json.loads(body)["event"]
    processed_answers = [a for a in answers if a[2].get("status") == "processed"]
    assert [(a[0], a[2]) for a in processed_answers] == [(200, processed(event_type, body_key(body)))]
    for status, answer_headers, answer in answers:
        if answer.get("status") != "processed":
            assert (status, answer) in [(200, duplicate(body_key(body))), (503, {"error": "in_progress"})]
            assert status == 200 or 1 <= int(answer_headers["retry-after"]) <= 60
    # Every later retry, on any process, is a duplicate.
    for _ in range(len(server.ports) + 1):
        assert post(server, "/webhooks/elmed", body, headers) == (200, duplicate(body_key(body)))
    assert server.output().count(f"processing {body_key(body)}") == 1


def test_elmed_test_delivery_is_marked(server: Server) -> None:
    body = elmed_body(ELMED_SAMPLES[0])
    headers = {**elmed_signed(body), "X-Webhook-Test": "true"}
    status, answer = post(server, "/webhooks/elmed", body, headers)
    assert (status, answer["status"], answer["is_test"]) == (200, "processed", True)


def test_elmed_tampered_body(server: Server) -> None:
    body = elmed_body(SAMPLES / "elmed" / "order.status_changed.json")
    headers = elmed_signed(body)
    tampered = body.replace(b'"IN_TRANSIT"', b'"DELIVERED"')
    assert tampered != body
    line = re.compile(r"refused a delivery from elmed \(POST /webhooks/elmed\): signature_mismatch: \S")
    before = len(line.findall(server.output()))
    assert post(server, "/webhooks/elmed", tampered, headers) == (401, server.refusal("signature_mismatch"))
    # The reason is in the log: one line for the refusal, the same wording in every helper, never the secret.
    deadline = time.monotonic() + 5
    while len(line.findall(server.output())) == before:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.02)
    # A second refusal's line marks the end of everything the first one logged (a worker logs in order).
    marker = re.compile(r"refused a delivery from elmed \(POST /webhooks/elmed\): missing_header: ")
    marked = len(marker.findall(server.output()))
    assert post(server, "/webhooks/elmed", tampered, {"Content-Type": "application/json"})[0] == 401
    while len(marker.findall(server.output())) == marked:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.02)
    assert len(line.findall(server.output())) == before + 1, server.output()
    assert "refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: " in server.output()
    assert ELMED_SECRET not in server.output()


def test_elmed_wrong_secret(server: Server) -> None:
    body = elmed_body(ELMED_SAMPLES[0])
    headers = elmed_signed(body, secret="not-the-secret")
    assert post(server, "/webhooks/elmed", body, headers) == (401, server.refusal("signature_mismatch"))


def test_elmed_missing_signature_header(server: Server) -> None:
    body = elmed_body(ELMED_SAMPLES[0])
    headers = {"Content-Type": "application/json"}
    assert post(server, "/webhooks/elmed", body, headers) == (401, server.refusal("missing_header"))


def test_elmed_signed_body_that_is_not_json(server: Server) -> None:
    body = b"not json " + uuid.uuid4().hex.encode()
    assert post(server, "/webhooks/elmed", body, elmed_signed(body)) == (400, server.refusal("invalid_json"))


# --- NovaMed -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", NOVAMED_SAMPLES, ids=lambda p: p.stem)
def test_novamed_sample_is_processed(server: Server, sample: Path) -> None:
    event_id = fresh_event_id()
    body = novamed_body(sample, event_id)
    event_type = json.loads(body)["event_type"]
    assert post(server, "/webhooks/novamed", body, novamed_signed(body)) == (200, processed(event_type, event_id))


def test_novamed_duplicate_by_event_id(server: Server) -> None:
    sample = SAMPLES / "novamed" / "order.shipped.json"
    event_id = fresh_event_id()
    first = novamed_body(sample, event_id)
    # A retry whose body differs (here only its timestamp) is still the same event: the key is the event_id.
    retry = novamed_body(sample, event_id, timestamp="2025-01-15T10:31:00.000Z")
    assert retry != first

    assert post(server, "/webhooks/novamed", first, novamed_signed(first)) == (200, processed("order:shipped", event_id))
    assert post(server, "/webhooks/novamed", retry, novamed_signed(retry)) == (200, duplicate(event_id))


def test_novamed_wrong_key(server: Server) -> None:
    body = novamed_body(NOVAMED_SAMPLES[0], fresh_event_id())
    headers = novamed_signed(body, key="not-the-key")
    assert post(server, "/webhooks/novamed", body, headers) == (401, server.refusal("key_mismatch"))


def test_novamed_other_clinic(server: Server) -> None:
    body = novamed_body(NOVAMED_SAMPLES[0], fresh_event_id(), clinic_id=str(uuid.uuid4()))
    assert post(server, "/webhooks/novamed", body, novamed_signed(body)) == (400, server.refusal("clinic_mismatch"))


# --- size limit and chunked bodies ---------------------------------------------------------------------------------


def oversize_elmed_body() -> bytes:
    """A genuine, correctly signed delivery that is over the receivers' limit."""
    padding = "x" * (MAX_BODY_BYTES + 4096)
    body = json.dumps({"event": "order.status_changed", "nonce": uuid.uuid4().hex, "data": {"padding": padding}})
    return body.encode()


@pytest.mark.parametrize("chunk_size", [None, 8192], ids=["content-length", "chunked"])
def test_oversize_body(server: Server, chunk_size: Optional[int]) -> None:
    body = oversize_elmed_body()
    assert len(body) > MAX_BODY_BYTES
    status, answer = post(server, "/webhooks/elmed", body, elmed_signed(body), chunk_size=chunk_size)
    assert (status, answer) == (413, server.refusal("payload_too_large"))


def test_chunked_body_under_the_limit_is_read_whole(server: Server) -> None:
    body = elmed_body(SAMPLES / "elmed" / "prescription.issued.json")
    status, answer = post(server, "/webhooks/elmed", body, elmed_signed(body), chunk_size=64)
    assert (status, answer) == (200, processed("prescription.issued", body_key(body)))


@pytest.mark.parametrize("chunk_size", [None, 8192], ids=["content-length", "chunked"])
def test_body_exactly_at_the_limit_is_accepted(server: Server, chunk_size: Optional[int]) -> None:
    head = json.dumps({"event": "order.status_changed", "nonce": uuid.uuid4().hex, "data": {"padding": ""}})
    body = head[:-3].encode() + b"x" * (MAX_BODY_BYTES - len(head)) + b'"}}'
    assert len(body) == MAX_BODY_BYTES
    status, answer = post(server, "/webhooks/elmed", body, elmed_signed(body), chunk_size=chunk_size)
    assert (status, answer) == (200, processed("order.status_changed", body_key(body)))


@pytest.mark.parametrize("chunk_size", [None, 8192], ids=["content-length", "chunked"])
def test_oversize_body_is_refused_even_if_its_first_bytes_are_a_whole_delivery(
    server: Server, chunk_size: Optional[int]
) -> None:
    # NovaMed authenticates with a key, not a body signature: if a receiver cut the body at the limit instead of
    # refusing it, this would be accepted as the JSON object that fills the first MAX_BODY_BYTES bytes.
    head = json.dumps({"event_type": "order:shipped", "event_id": fresh_event_id(), "clinic_id": CLINIC_ID}).encode()
    body = head + b" " * (MAX_BODY_BYTES - len(head)) + b"past the limit"
    status, answer = post(server, "/webhooks/novamed", body, novamed_signed(body), chunk_size=chunk_size)
    assert (status, answer) == (413, server.refusal("payload_too_large"))


# --- the store -----------------------------------------------------------------------------------------------------


def test_the_store_is_logged_at_start_up(server: Server) -> None:
    assert f"store: {server.store_url}" in server.output()


def test_healthz(server: Server) -> None:
    if server.name != "fastapi":
        pytest.skip("only the FastAPI example (and Express) answers GET /healthz")
    for port in server.ports:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            assert (response.status, json.loads(response.read())) == (200, {"status": "ok"})
        finally:
            conn.close()


@pytest.mark.parametrize("name", ["flask", "fastapi", "django"])
def test_a_copy_arriving_while_the_first_is_processed_is_in_progress(name: str, tmp_path: Path) -> None:
    # HOOKSEAL_EXAMPLE_DELAY_MS keeps the first copy in its handler while the second arrives (on another process for
    # FastAPI, very likely another gunicorn worker for Flask and Django).
    for server in start(name, f"sqlite://{tmp_path / 'slow.db'}", tmp_path, HOOKSEAL_EXAMPLE_DELAY_MS="1500"):
        body = elmed_body(ELMED_SAMPLES[0])
        headers = elmed_signed(body)
        event_type = json.loads(body)["event"]
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(exchange, server, "/webhooks/elmed", body, headers)
            deadline = time.monotonic() + 10
            while f"processing {body_key(body)}" not in server.output():
                assert time.monotonic() < deadline and not first.done(), server.output()
                time.sleep(0.02)
            status, answer_headers, answer = exchange(server, "/webhooks/elmed", body, headers)
            assert (status, answer) == (503, {"error": "in_progress"})
            assert 1 <= int(answer_headers["retry-after"]) <= 60
            assert first.result()[::2] == (200, processed(event_type, body_key(body)))
        assert post(server, "/webhooks/elmed", body, headers) == (200, duplicate(body_key(body)))
        assert server.output().count(f"processing {body_key(body)}") == 1


@pytest.mark.parametrize("name", ["flask", "fastapi", "django"])
def test_an_unreachable_store_is_503_and_nothing_is_processed(name: str, tmp_path: Path) -> None:
    # The receiver starts while its store is down (opening does not connect) and refuses to process without it.
    for server in start(name, "redis://:hunter2@127.0.0.1:1/0", tmp_path):
        body = elmed_body(ELMED_SAMPLES[0])
        status, answer_headers, answer = exchange(server, "/webhooks/elmed", body, elmed_signed(body))
        assert (status, answer, answer_headers["retry-after"]) == (503, {"error": "store_unavailable"}, "5")
        # A refusal is still a refusal: verification comes before the store.
        assert post(server, "/webhooks/elmed", body, elmed_signed(body, "wrong")) == (
            401, server.refusal("signature_mismatch"))
        output = server.output()
        assert "store: redis://***@127.0.0.1:1/0" in output
        # Logged as every refusal is (Flask and Django know the request line there; FastAPI's store decorator not).
        assert re.search(r"refused a delivery from elmed( \(POST /webhooks/elmed\))?: store_unavailable: ", output)
        assert "hunter2" not in output and "processing" not in output
