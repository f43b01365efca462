"""The local loop of the `hookseal` CLI against the real example receivers: `hookseal send` (copies at once, copies one
after another, on the provider's retry schedule scaled down) and `hookseal listen --forward-to` in front of an app.

Every example runs under its real server (tests/dedupe/README.md), on a fresh store. The CLI is $HOOKSEAL_BIN, else
target/release/hookseal (`make cli`); without it the tests fail, never skip. `hookseal send` targets one URL, so
Express runs as one node process here (the storm tests cover two).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence

import pytest

import dedupe_support as support

BAREMEDS_KEY, ELMED_SECRET, NOVAMED_KEY = support.BAREMEDS_KEY, support.ELMED_SECRET, support.NOVAMED_KEY

# ELMED's schedule (immediately, +30 s, +5 min) scaled to 0.3 s and 3 s: a copy answered 503 in_progress is retried
# after 0.3 s, when the first copy's handler (200 ms) is done.
TIME_SCALE = "0.01"
DELAY_MS = 200  # the handler's sleep when copies are sent at once, so that they overlap
CONCURRENT = 10
REPEAT = 3

Launch = Callable[..., support.Example]
StoreUrl = Callable[..., str]
Cli = Callable[..., support.CliRun]
Listen = Callable[..., support.Listener]

ONCE_CASES = [
    pytest.param("flask", "sqlite", id="flask-sqlite"),
    pytest.param("express", "sqlite", id="express-sqlite"),
    pytest.param("php", "sqlite", id="php-sqlite"),
    pytest.param("flask", "redis", id="flask-redis"),
    pytest.param("express", "redis", id="express-redis"),
    pytest.param("php", "redis", id="php-redis"),
]


def elmed_send(url: str, *extra: str) -> List[str]:
    """`hookseal send` of a fresh ELMED order.status_changed (its timestamp makes the key new), on the scaled
    schedule."""
    return [
        "send", "--provider", "elmed", "--secret", ELMED_SECRET, "--event", "order.status_changed",
        "--time-scale", TIME_SCALE, *extra, url,
    ]  # fmt: skip


def launch(
    launch_example: Launch, store_url: StoreUrl, name: str, backend: str = "sqlite", delay_ms: int = 0
) -> support.Example:
    return launch_example(name, store_url(backend), delay_ms=delay_ms, processes=1)


def app_url(example: support.Example, path: str) -> str:
    return f"http://127.0.0.1:{example.ports[0]}{path}"


def announced_key(run: support.CliRun) -> str:
    """The idempotency key `send` announces before its first attempt (stdout, or stderr with --json)."""
    match = re.search(r"^idempotency key (\S+)$", run.stdout + run.stderr, re.MULTILINE)
    if not match:
        pytest.fail(f"send announced no idempotency key:\n{run.describe()}", pytrace=False)
    return match.group(1)


def handler_runs(example: support.Example, key: str) -> int:
    """How often the example's handler logged `processing <key>`."""
    runs: int = support.processing_keys(example.log()).count(key)
    return runs


# send's text line for one request: `copy  3 attempt 2/3  16:04:15.745 (+0.31 s)  200 OK  5 ms  {...}  → duplicate...`
_ATTEMPT = re.compile(
    r"^(?:copy +(?P<copy>\d+) )?attempt (?P<attempt>\d+)/\d+ +\S+ \(\+(?P<sent>[\d.]+) s\) +(?P<status>.+?)"
    r"(?: +(?P<latency>\d+) ms)?(?:  .*)? +→ (?P<verdict>.*)$",
    re.MULTILINE,
)


@dataclass
class Attempt:
    copy: int
    attempt: int
    sent: float  # seconds after send started
    latency: float  # seconds (0 when there was no answer)
    status: str
    verdict: str


def attempts_of(run: support.CliRun) -> List[Attempt]:
    """send's line for each request it sent, in the order printed (text output)."""
    return [
        Attempt(
            int(m["copy"] or 1), int(m["attempt"]), float(m["sent"]), int(m["latency"] or 0) / 1000, m["status"],
            m["verdict"],
        )
        for m in _ATTEMPT.finditer(run.stdout)
    ]  # fmt: skip


def check_processed_once(run: support.CliRun, example: support.Example, copies: int) -> str:
    """send exited 0 and summed up ``copies`` copies as processed exactly once, with the key it announced; the
    example's handler logged `processing <key>` once. Returns the key."""
    assert run.returncode == 0, f"send did not exit 0:\n{run.describe()}"
    key = announced_key(run)
    summary = (
        f"{copies} copies of one delivery (key {key}): 1 processed, {copies - 1} duplicate"
        f"{'' if copies == 2 else 's'}: processed exactly once"
    )
    assert re.search(rf"^{re.escape(summary)}$", run.stdout, re.MULTILINE), (
        f"no line {summary!r} in send's output:\n{run.describe()}"
    )
    runs = handler_runs(example, key)
    assert runs == 1, f"the {example.name} handler logged `processing {key}` {runs} times, not once"
    return key


def check_copies_overlapped(run: support.CliRun, name: str) -> None:
    """The copies raced: every first attempt went out before the processed copy's answer (its handler slept
    DELAY_MS) came back. For gunicorn's four workers and node's event loop at least one copy is answered 503
    in_progress with a Retry-After, and retried. PHP's built-in server workers accept several connections each and
    serve them one after another, so there the copies queued behind the first may all get `duplicate` instead."""
    attempts = attempts_of(run)
    first = [a for a in attempts if a.attempt == 1]
    processed = [a for a in attempts if a.verdict == "processed"]
    assert len(first) == CONCURRENT and len(processed) == 1, f"cannot read send's attempts:\n{run.describe()}"
    done = processed[0].sent + processed[0].latency
    assert processed[0].latency >= DELAY_MS / 1000, f"the handler did not sleep {DELAY_MS} ms:\n{run.describe()}"
    late = [a.copy for a in first if a.sent >= done]
    assert not late, f"copies {late} were sent after the processed one was answered:\n{run.describe()}"
    if name != "php":
        assert re.search(r"→ in progress in another worker, Retry-After \d+; retry in 300 ms", run.stdout), (
            f"no copy was answered 503 in_progress with a Retry-After:\n{run.describe()}"
        )


# --- 1. send against the examples ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, backend", ONCE_CASES)
def test_send_concurrent_copies_are_processed_once(
    launch_example: Launch, store_url: StoreUrl, hookseal_cli: Cli, name: str, backend: str
) -> None:
    """`send --concurrent 10` (a 200 ms handler): one copy processed; the others answered 503 in_progress and
    retried after 0.3 s (ELMED's +30 s scaled), or queued behind the first: each ends duplicate, and the handler
    runs once."""
    example = launch(launch_example, store_url, name, backend, delay_ms=DELAY_MS)
    run = hookseal_cli(*elmed_send(app_url(example, "/webhooks/elmed"), "--concurrent", str(CONCURRENT)))
    check_processed_once(run, example, CONCURRENT)
    check_copies_overlapped(run, name)


@pytest.mark.parametrize("name, backend", ONCE_CASES)
def test_send_repeated_copies_are_processed_once(
    launch_example: Launch, store_url: StoreUrl, hookseal_cli: Cli, name: str, backend: str
) -> None:
    """`send --repeat 3`: the same bytes three times, one after another; processed, then duplicate twice."""
    example = launch(launch_example, store_url, name, backend)
    run = hookseal_cli(*elmed_send(app_url(example, "/webhooks/elmed"), "--repeat", str(REPEAT)))
    check_processed_once(run, example, REPEAT)
    assert len(attempts_of(run)) == REPEAT, f"a copy was retried:\n{run.describe()}"


@pytest.mark.parametrize(
    "name, provider, secret, event, route",
    [
        pytest.param("flask", "novamed", NOVAMED_KEY, "order:shipped", "/webhooks/novamed", id="flask-novamed"),
        pytest.param("php", "novamed", NOVAMED_KEY, "order:shipped", "/webhooks/novamed", id="php-novamed"),
        pytest.param(
            "express", "baremeds", BAREMEDS_KEY, "order_changed", "/webhooks/baremeds", id="express-baremeds"
        ),
    ],
)
def test_send_repeated_shared_key_deliveries_are_processed_once(
    launch_example: Launch,
    store_url: StoreUrl,
    hookseal_cli: Cli,
    name: str,
    provider: str,
    secret: str,
    event: str,
    route: str,
) -> None:
    """NovaMed (key: the envelope's event_id) and Baremeds (key: metadata.request_id), `send --repeat 3`."""
    example = launch(launch_example, store_url, name)
    run = hookseal_cli(
        "send", "--provider", provider, "--secret", secret, "--event", event, "--time-scale", TIME_SCALE,
        "--repeat", str(REPEAT), app_url(example, route),
    )  # fmt: skip
    check_processed_once(run, example, REPEAT)


# --- 2. listen --forward-to in front of an example -----------------------------------------------------------------


def app_answer(name: str, key: str) -> Dict[str, Any]:
    """The example's own answer to a new ELMED order.status_changed (not the one `listen` gives without an app)."""
    if name == "express":
        return {
            "status": "processed", "eventType": "order.status_changed", "idempotencyKey": key, "isTest": False,
            "isRetry": False,
        }  # fmt: skip
    return {"status": "processed", "event_type": "order.status_changed", "idempotency_key": key, "is_test": False}


def parsed(text: Any, context: Callable[[], str]) -> Any:
    """An answer's text (send's and listen's `answer`: the first 200 characters) read as JSON."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        pytest.fail(f"the answer {text!r} is not JSON (cut short?)\n{context()}", pytrace=False)


def elmed_listen(hookseal_listen: Listen, forward_to: str) -> support.Listener:
    return hookseal_listen("--provider", "elmed", "--secret", ELMED_SECRET, "--json", "--forward-to", forward_to)


def only_line(listener: support.Listener, count: int) -> Any:
    """The ``count``-th delivery line of the listener, checking there are exactly ``count`` so far."""
    lines = listener.wait_for_lines(count)
    assert len(lines) == count, f"listen printed {len(lines)} delivery lines, expected {count}:\n{listener.log()}"
    return lines[-1]


@pytest.mark.parametrize("name", ["flask", "express"])
def test_listen_relays_the_apps_answer_and_its_refusal(
    launch_example: Launch, store_url: StoreUrl, hookseal_cli: Cli, hookseal_listen: Listen, name: str
) -> None:
    """A delivery through `listen --forward-to`: the sender gets the app's own 200 and body, listen prints hookseal's
    verdict (verified) and the app's (200). A tampered one: hookseal says signature_mismatch, the app's 401 goes
    back to the sender, and send calls it refused as expected (exit 0)."""
    example = launch(launch_example, store_url, name)
    listener = elmed_listen(hookseal_listen, app_url(example, "/webhooks/elmed"))

    run = hookseal_cli(*elmed_send(listener.url("/webhooks/elmed"), "--json"))
    assert run.returncode == 0, f"send did not exit 0:\n{run.describe()}"
    key = announced_key(run)
    attempts = run.json_lines()
    assert len(attempts) == 1, f"one attempt expected:\n{run.describe()}"
    attempt = attempts[0]
    assert (attempt["status"], attempt["verdict"]) == (200, "processed"), run.describe()
    expected = app_answer(name, key)
    assert parsed(attempt["answer"], run.describe) == expected, f"not the app's answer:\n{run.describe()}"
    line = only_line(listener, 1)
    assert line["verdict"] == "verified" and line["idempotency_key"] == key, listener.log()
    assert (line["answered"], line["app"]["status"], line["warning"]) == (200, 200, None), listener.log()
    assert parsed(line["app"]["answer"], listener.log) == expected, listener.log()
    assert handler_runs(example, key) == 1, f"the handler did not run once for {key}"

    tampered = hookseal_cli(*elmed_send(listener.url("/webhooks/elmed"), "--tamper"))
    assert tampered.returncode == 0, f"send --tamper did not exit 0:\n{tampered.describe()}"
    refused = r"^attempt 1/1 .* 401 Unauthorized .*→ refused as expected: signature_mismatch$"
    assert re.search(refused, tampered.stdout, re.MULTILINE), tampered.describe()
    assert re.search(r"^ok: refused$", tampered.stdout, re.MULTILINE), tampered.describe()
    line = only_line(listener, 2)
    assert line["verdict"] == "signature_mismatch", listener.log()
    assert (line["answered"], line["app"]["status"], line["warning"]) == (401, 401, None), listener.log()
    assert parsed(line["app"]["answer"], listener.log) == {"error": "signature_mismatch"}, listener.log()
    assert support.processing_keys(example.log()) == [key], "the tampered delivery reached the handler"


def test_listen_warns_when_the_app_fails_a_verified_delivery(
    launch_example: Launch, store_url: StoreUrl, hookseal_cli: Cli, hookseal_listen: Listen
) -> None:
    """Forwarded to Express's trap route (a JSON parser ahead of webhook(): the app answers 500 to a genuine
    delivery): listen's line carries hookseal's `verified`, the app's 500, and the warning; the sender gets the 500."""
    example = launch(launch_example, store_url, "express")
    listener = elmed_listen(hookseal_listen, app_url(example, "/webhooks/elmed-after-json"))
    run = hookseal_cli(*elmed_send(listener.url("/webhooks/elmed"), "--json", "--attempts", "1"))
    assert run.returncode == 1, f"send should exit 1 (not delivered):\n{run.describe()}"
    key = announced_key(run)
    attempts = run.json_lines()
    assert len(attempts) == 1 and attempts[0]["status"] == 500, run.describe()
    assert parsed(attempts[0]["answer"], run.describe) == {"error": "internal_error"}, run.describe()
    assert "not delivered" in run.stderr, run.describe()
    line = only_line(listener, 1)
    assert line["verdict"] == "verified" and line["idempotency_key"] == key, listener.log()
    assert (line["answered"], line["app"]["status"]) == (500, 500), listener.log()
    assert line["warning"] == "the app failed on a delivery hookseal verified (the provider will retry it)", (
        listener.log()
    )
    assert support.processing_keys(example.log()) == [], "the trap route ran the handler"
    assert "error on POST /webhooks/elmed-after-json" in example.log()


# --- 3. send's copies through listen into an example ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["concurrent", "repeat"])
@pytest.mark.parametrize("name", ["flask", "express"])
def test_copies_through_listen_are_processed_once(
    launch_example: Launch, store_url: StoreUrl, hookseal_cli: Cli, hookseal_listen: Listen, name: str, mode: str
) -> None:
    """`send --concurrent 10` / `--repeat 3` to `listen --forward-to` the example: listen relays every copy and
    every retry (one line each: hookseal's verdict verified once, then duplicate; the app's answer relayed as it
    is, 503 in_progress with its Retry-After included), and the app processes the event once. Ctrl-C then stops
    listen with its count."""
    concurrent = mode == "concurrent"
    copies = CONCURRENT if concurrent else REPEAT
    example = launch(launch_example, store_url, name, delay_ms=DELAY_MS if concurrent else 0)
    listener = elmed_listen(hookseal_listen, app_url(example, "/webhooks/elmed"))
    run = hookseal_cli(*elmed_send(listener.url("/webhooks/elmed"), f"--{mode}", str(copies)))
    key = check_processed_once(run, example, copies)
    if concurrent:
        check_copies_overlapped(run, name)
    sent = len(attempts_of(run))

    lines: Sequence[Any] = listener.wait_for_lines(sent)
    assert len(lines) == sent, f"send sent {sent} requests, listen printed {len(lines)} lines:\n{listener.log()}"
    problems = [
        line for line in lines if line.get("idempotency_key") != key or line["app"]["status"] != line["answered"]
    ]
    assert not problems, f"lines of another key, or not answered with the app's status: {problems}\n{listener.log()}"
    verdicts = [line["verdict"] for line in lines]
    assert verdicts.count("verified") == 1 and verdicts.count("duplicate") == sent - 1, listener.log()
    answers = [(line["app"]["status"], parsed(line["app"]["answer"], listener.log)) for line in lines]
    processed = [a for a in answers if a[0] == 200 and a[1].get("status") == "processed"]
    duplicates = [a for a in answers if a[0] == 200 and a[1].get("status") == "duplicate"]
    in_progress = [a for a in answers if a[0] == 503 and a[1].get("error") == "in_progress"]
    assert len(processed) == 1 and len(processed) + len(duplicates) + len(in_progress) == sent, (
        f"the app's answers, as listen relayed them: {answers}\n{listener.log()}"
    )
    assert len(duplicates) == copies - 1, f"every copy but one should end duplicate: {answers}"
    if concurrent:
        assert in_progress, f"no 503 in_progress went through listen: {answers}"

    code = listener.stop()
    assert code == 0, f"listen exited {code} on Ctrl-C:\n{listener.log()}"
    stopped = f"stopped: {sent} deliveries (1 verified, {sent - 1} duplicates, 0 refused)"
    assert re.search(rf"^{re.escape(stopped)}$", listener.stderr(), re.MULTILINE), (
        f"no line {stopped!r} on listen's stderr:\n{listener.log()}"
    )
