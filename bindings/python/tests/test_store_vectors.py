"""tests/vectors/store/scenarios.json through the Python API: every scenario against memory:, a fresh SQLite file and
the test Redis ($HOOKSEAL_TEST_REDIS_URL, started by scripts/with-redis.sh: required, a run without it fails), with
both hookseal.Store and hookseal.AsyncStore; then the `urls` and `unreachable` sections. The logic is
crates/hookseal-store/tests/scenarios.rs's, including failing on an unknown field and on a count that disagrees."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Union

import pytest

import hookseal

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "store" / "scenarios.json"
DOC: dict[str, Any] = json.loads(VECTORS.read_text("utf-8"))
SCENARIOS: list[dict[str, Any]] = DOC["scenarios"]
BACKENDS = ["memory", "sqlite", "redis"]


def redis_url() -> str:
    url = os.environ.get("HOOKSEAL_TEST_REDIS_URL", "")
    if not url:
        pytest.fail("HOOKSEAL_TEST_REDIS_URL is not set: run the tests under scripts/with-redis.sh (make test does)",
                    pytrace=False)
    return url


def only(mapping: dict[str, Any], known: set[str], what: str) -> None:
    unknown = set(mapping) - known
    assert not unknown, f"{what}: unknown fields {sorted(unknown)}"


def key_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    assert isinstance(value, dict), f"a key is a string or a repeat, not {value!r}"
    only(value, {"repeat", "times", "then"}, "key")
    key: str = value["repeat"] * value["times"] + value.get("then", "")
    return key


def options_of(given: dict[str, Any] | None) -> dict[str, Any]:
    """Constructor options as given (a value of the wrong type, such as "NaN", goes through: the Store refuses it)."""
    given = given or {}
    only(given, {"lease", "retention"}, "options")
    return dict(given)


# One runner for both APIs: a Store's calls directly, an AsyncStore's awaited on one event loop.
class Runner:
    def __init__(self, url: str, options: dict[str, Any], use_async: bool) -> None:
        self.use_async = use_async
        self.store: Union[hookseal.Store, hookseal.AsyncStore] = (
            hookseal.AsyncStore(url, **options) if use_async else hookseal.Store(url, **options)
        )

    def call(self, name: str, *args: Any) -> Any:
        method: Callable[..., Any] = getattr(self.store, name)
        if not self.use_async:
            return method(*args)
        result = method(*args)
        assert isinstance(result, Awaitable)

        async def wait() -> Any:
            return await result

        return asyncio.run(wait())


def backend_url(backend: str, tmp_path: Path) -> str:
    if backend == "memory":
        return "memory:"
    if backend == "sqlite":
        return f"sqlite://{tmp_path / 'scenarios.db'}"
    return redis_url()


def run_scenario(scenario: dict[str, Any], url: str, use_async: bool) -> int:
    only(scenario, {"name", "description", "lease", "retention", "steps"}, "scenario")
    name = scenario["name"]
    options = options_of({field: scenario[field] for field in ("lease", "retention") if field in scenario})
    runner = Runner(url, options, use_async)
    prefix = "t" + uuid.uuid4().hex[:16]  # runs on one Redis never meet
    claims: dict[str, hookseal.Claim] = {}
    steps = 0
    for step in scenario["steps"]:
        at = f"{name} on {url} ({'AsyncStore' if use_async else 'Store'}): step {step!r}"[:400]
        if "claim" in step:
            only(step, {"claim", "as", "namespace", "namespace_raw", "expect", "expect_error", "retry_after"}, at)
            if "namespace_raw" in step:
                namespace = step["namespace_raw"]
            elif "namespace" in step:
                namespace = f"{prefix}-{step['namespace']}"
            else:
                namespace = prefix
            key = key_of(step["claim"])
            if "expect_error" in step:
                with pytest.raises(hookseal.ConfigError) as error:
                    runner.call("claim", namespace, key)
                assert error.value.code == step["expect_error"], at
            else:
                claim = runner.call("claim", namespace, key)
                assert isinstance(claim, hookseal.Claim), at
                assert claim.status == step["expect"], at
                assert claim.namespace == namespace, at
                if "retry_after" in step:
                    low, high = step["retry_after"]
                    assert claim.retry_after is not None and low <= claim.retry_after <= high, (at, claim.retry_after)
                elif claim.status != "in_progress":
                    assert claim.retry_after is None, at
                if "as" in step and claim.status == "claimed":
                    claims[step["as"]] = claim
        elif "complete" in step or "release" in step:
            only(step, {"complete", "release", "expect"}, at)
            operation = "complete" if "complete" in step else "release"
            acted = runner.call(operation, claims[step[operation]])
            assert acted is step["expect"], at
        elif "wait" in step:
            only(step, {"wait"}, at)
            time.sleep(step["wait"])
        else:
            pytest.fail(f"{at}: unknown step")
        steps += 1
    return steps


def test_counts_match_the_file() -> None:
    only(DOC, {"description", "counts", "scenarios", "urls", "unreachable"}, "scenarios.json")
    only(DOC["counts"], {"scenarios", "urls", "unreachable"}, "counts")
    assert len(SCENARIOS) == DOC["counts"]["scenarios"]
    assert len(DOC["urls"]) == DOC["counts"]["urls"]
    assert len(DOC["unreachable"]) == DOC["counts"]["unreachable"]
    assert len({s["name"] for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("use_async", [False, True], ids=["Store", "AsyncStore"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any], backend: str, use_async: bool, tmp_path: Path) -> None:
    assert run_scenario(scenario, backend_url(backend, tmp_path), use_async) == len(scenario["steps"])


@pytest.mark.parametrize("case", DOC["urls"], ids=[c["name"] for c in DOC["urls"]])
def test_url(case: dict[str, Any]) -> None:
    only(case, {"name", "url", "options", "expect"}, "url case")
    name, expect = case["name"], case["expect"]
    only(expect, {"config_error", "not_in_message", "backend", "describe", "not_in_describe"}, name)
    options = options_of(case.get("options"))
    for open_store in (hookseal.Store, hookseal.AsyncStore):
        if "config_error" in expect:
            with pytest.raises(hookseal.ConfigError) as error:
                open_store(case["url"], **options)
            assert error.value.code == expect["config_error"], name
            assert error.value.http_status == 500, name
            if "not_in_message" in expect:
                secret = expect["not_in_message"]
                for text in (str(error.value), repr(error.value), error.value.message):
                    assert secret not in text, (name, text)
        else:
            store = open_store(case["url"], **options)
            assert (store.backend, store.url) == (expect["backend"], expect["describe"]), name
            if "not_in_describe" in expect:
                for text in (repr(store), str(store), store.url):
                    assert expect["not_in_describe"] not in text, (name, text)


@pytest.mark.parametrize("use_async", [False, True], ids=["Store", "AsyncStore"])
@pytest.mark.parametrize("case", DOC["unreachable"], ids=[c["name"] for c in DOC["unreachable"]])
def test_unreachable_store_fails_closed_and_fast(case: dict[str, Any], use_async: bool) -> None:
    only(case, {"name", "url", "description", "not_in_message"}, "unreachable case")
    runner = Runner(case["url"], {}, use_async)
    started = time.monotonic()
    with pytest.raises(hookseal.StoreError) as error:
        runner.call("claim", "t", "evt")
    assert time.monotonic() - started < 3, case["name"]
    assert (error.value.code, error.value.http_status) == ("store_unavailable", 503)
    assert not isinstance(error.value, ValueError)
    if "not_in_message" in case:
        for text in (str(error.value), repr(error.value), error.value.message, repr(runner.store)):
            assert case["not_in_message"] not in text, text
