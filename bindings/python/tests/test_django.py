"""hookseal.django: the example project under gunicorn for what only Django has (the DRF trap, CSRF, 405, start-up),
and the helper through Django's test client for the rest of its surface (every provider's headers, the exact header
bytes, DATA_UPLOAD_MAX_MEMORY_SIZE, chunked bodies, the store's answers, routers, async views, set-up errors).

Every delivery test shared with Flask and FastAPI (genuine, tampered, wrong key, missing header, non-JSON, duplicate,
oversize with and without Content-Length, at the limit, in progress, store down; SQLite and Redis) runs against the
Django example in test_servers.py, whose Server fixture serves it too.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import os
import re
import runpy
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

import django
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path

import hookseal
from test_servers import (
    ELMED_SAMPLES,
    ELMED_SECRET,
    ROOT,
    Server,
    body_key,
    elmed_body,
    elmed_signed,
    post,
    start,
)


def urlconf(*patterns: Any) -> ModuleType:
    """A URLconf module of ``patterns`` (Django takes a module as ROOT_URLCONF as well as its name)."""
    module = ModuleType("hookseal_test_urls")
    module.urlpatterns = list(patterns)  # type: ignore[attr-defined]
    return module


def configure_django() -> None:
    """The smallest settings a test client needs, CSRF middleware on (test_readme.py uses them too)."""
    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="hookseal-tests-only",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[],
        DATABASES={},
        MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
        ROOT_URLCONF=urlconf(),
        USE_TZ=True,
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": [],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "UNAUTHENTICATED_USER": None,
        },
    )
    django.setup()


configure_django()

from hookseal.django import BodyAlreadyReadError, WebhookView, verify_request, webhook  # noqa: E402 (settings first)


@contextmanager
def serving(*patterns: Any) -> Iterator[Client]:
    """A test client that checks CSRF as a browser-facing site does, for a URLconf of ``patterns``."""
    with override_settings(ROOT_URLCONF=urlconf(*patterns)):
        yield Client(enforce_csrf_checks=True)


def without_content_type(headers: Mapping[str, str]) -> Dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() != "content-type"}


def deliver(client: Client, url: str, body: bytes, headers: Mapping[str, str]) -> Tuple[int, Any]:
    response = client.post(url, data=body, content_type="application/json", headers=without_content_type(headers))
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.status_code, json.loads(response.content)


ELMED = hookseal.Verifier("elmed", secret=ELMED_SECRET)


def unique_elmed() -> Tuple[bytes, Dict[str, str]]:
    body = json.dumps({"event": "order.status_changed", "nonce": uuid.uuid4().hex, "data": {"status": "x"}}).encode()
    return body, elmed_signed(body)


def summary(request: HttpRequest, event: hookseal.Event) -> Dict[str, Any]:
    return {"event_type": event.event_type, "key": event.idempotency_key, "body_kept": request.body == _sent[-1]}


_sent: list = []


# --- the example project under gunicorn ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("django-example")
    yield from start("django", f"sqlite://{directory / 'dedupe.db'}", directory)


def raw_exchange(server: Server, method: str, url: str, body: bytes, headers: Mapping[str, str],
                 chunk_size: Optional[int] = None) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port(), timeout=10)
    try:
        if chunk_size is None:
            conn.request(method, url, body=body, headers=dict(headers))
        else:
            chunks = (body[i : i + chunk_size] for i in range(0, len(body), chunk_size))
            conn.request(method, url, body=chunks, headers={**headers, "Transfer-Encoding": "chunked"},
                         encode_chunked=True)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait_for(server: Server, pattern: str, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(re.findall(pattern, server.output())) < count:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.02)


def test_drf_request_data_read_first_is_a_500_that_names_the_cause_and_the_fix(example: Server) -> None:
    url = "/drf/webhooks/elmed-data-first"
    error = r"hookseal\.django\.BodyAlreadyReadError: hookseal\.django: the body of this request \(POST " + re.escape(url)
    before = len(re.findall(error, example.output()))
    body = elmed_body(ELMED_SAMPLES[0])
    # A genuine delivery and a tampered one alike: 500, never 401 signature_mismatch (that would blame the secret).
    for sent in (body, body.replace(b'"', b"'", 1)):
        status, _, answer = raw_exchange(example, "POST", url, sent, elmed_signed(body))
        assert status == 500, answer
        assert b"signature_mismatch" not in answer
    wait_for(example, error, before + 2)
    output = example.output()
    assert "Under Django REST Framework, reading request.data does this" in output
    assert "call hookseal.django.verify_request(verifier, request) before reading request.data" in output
    assert "use @hookseal.django.webhook(verifier) or hookseal.django.WebhookView on a plain Django view" in output
    assert f"processing {body_key(body)}" not in output


@pytest.mark.parametrize("chunk_size", [None, 100], ids=["content-length", "chunked"])
def test_drf_verified_first_keeps_the_bytes_for_request_data(example: Server, chunk_size: Optional[int]) -> None:
    body = elmed_body(ELMED_SAMPLES[0])
    status, _, raw = raw_exchange(example, "POST", "/drf/webhooks/elmed", body, elmed_signed(body), chunk_size)
    # DRF parses no body without a Content-Length (its choice): the chunked one is verified, and DRF sees nothing.
    assert (status, json.loads(raw)) == (200, {
        "status": "verified", "event_type": json.loads(body)["event"], "idempotency_key": body_key(body),
        "parsed_by_drf": chunk_size is None})  # fmt: skip
    tampered = body.replace(b"{", b'{"x": 1,', 1)
    status, _, raw = raw_exchange(example, "POST", "/drf/webhooks/elmed", tampered, elmed_signed(body), chunk_size)
    assert (status, json.loads(raw)) == (401, {"error": "signature_mismatch"})


@pytest.mark.parametrize("url", ["/webhooks/elmed", "/webhooks/novamed"])
def test_other_methods_are_405(example: Server, url: str) -> None:
    status, headers, _ = raw_exchange(example, "GET", url, b"", {})
    assert status == 405 and "POST" in headers["allow"]
    assert "processing" not in example.output()


def test_headers_reach_verify_whatever_their_case(example: Server) -> None:
    body = elmed_body(ELMED_SAMPLES[0])
    signature = elmed_signed(body)["X-ELMED-Signature"]
    # X-ELMED-Event is checked against the body: that it reaches verify shows in event_mismatch.
    headers = {"x-elmed-signature": signature, "X-Elmed-Event": "referral.created", "Content-Type": "application/json"}
    assert post(example, "/webhooks/elmed", body, headers) == (400, {"error": "event_mismatch"})


def test_the_example_keeps_csrf_middleware_on() -> None:
    # Every delivery the example answers 2xx (test_servers.py) went through CsrfViewMiddleware without a token.
    example_settings = runpy.run_path(str(ROOT / "examples" / "django" / "receiver" / "settings.py"))
    assert "django.middleware.csrf.CsrfViewMiddleware" in example_settings["MIDDLEWARE"]
    assert example_settings["DEBUG"] is False


def test_the_example_refuses_to_start_without_its_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_WEBHOOK_SECRET")}
    env.update(NOVAMED_WEBHOOK_SECRET="k", HOOKSEAL_STORE=f"sqlite://{tmp_path / 'x.db'}")
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "examples" / "django"), "--preload",
               "--no-control-socket", "--bind", "127.0.0.1:0", "receiver.wsgi"]
    done = subprocess.run(command, env=env, capture_output=True, timeout=30)
    assert done.returncode != 0
    assert b"set ELMED_WEBHOOK_SECRET (the webhook secret) before starting this receiver" in done.stdout + done.stderr


# --- the helper through Django's test client ------------------------------------------------------------------------

STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

PROVIDERS = {
    "elmed": ({"secret": "s"}, b'{"event":"order.status_changed","data":{}}', "order.status_changed"),
    "baremeds": ({"secret": "bk"}, b'{"event":"message_created","metadata":{"request_id":"r-1"}}', "message_created"),
    "novamed": ({"secret": "nk"}, b'{"event_type":"order:shipped","event_id":"evt_1"}', "order:shipped"),
    "standard-webhooks": ({"secret": STANDARD_SECRET}, b'{"type":"invoice.paid","data":{}}', "invoice.paid"),
    "custom": ({"secret": "cs", "scheme": "hmac-sha256", "header": "X-Custom-Signature"}, b'{"event":"a.b"}', "a.b"),
}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_every_providers_headers_reach_verify(provider: str) -> None:
    options, body, event_type = PROVIDERS[provider]
    verifier = hookseal.Verifier(provider, **options)
    headers = hookseal.sign(provider, body, **options)
    _sent.append(body)
    with serving(path("hook", webhook(verifier)(summary))) as client:
        status, answer = deliver(client, "/hook", body, headers)
        assert (status, answer["event_type"], answer["body_kept"]) == (200, event_type, True)
        for name in headers:  # each header the provider sends is needed: without it, refused
            if name.lower() != "content-type" and not name.lower().endswith("-event"):
                status, answer = deliver(client, "/hook", body, {k: v for k, v in headers.items() if k != name})
                assert status in (400, 401) and answer["error"] in ("missing_header", "malformed_header"), name


def test_svix_headers_reach_verify() -> None:
    verifier = hookseal.Verifier("standard-webhooks", secret=STANDARD_SECRET)
    body = b'{"type":"invoice.paid"}'
    headers = {k.replace("webhook-", "svix-"): v for k, v in hookseal.sign("standard-webhooks", body,
                                                                              secret=STANDARD_SECRET).items()}
    _sent.append(body)
    with serving(path("hook", webhook(verifier)(summary))) as client:
        assert deliver(client, "/hook", body, headers)[0] == 200


def test_header_values_reach_verify_as_the_bytes_sent() -> None:
    # A key with a non-ASCII character, sent as its UTF-8 bytes: WSGI hands each byte over as one latin-1 character,
    # and hookseal encodes them back, so the key compared is the bytes that came over the wire.
    verifier = hookseal.Verifier("custom", scheme="shared-key", header="X-Key", secret="clé")
    body = b'{"event":"a"}'
    with serving(path("hook", webhook(verifier)(summary))) as client:
        _sent.append(body)
        assert deliver(client, "/hook", body, {"X-Key": "clé".encode().decode("latin-1")})[0] == 200
        # The same text as other bytes (latin-1's é) is another key.
        assert deliver(client, "/hook", body, {"X-Key": "cl\xe9"}) == (401, {"error": "key_mismatch"})


def test_csrf_exempt_where_the_middleware_refuses_other_views() -> None:
    def plain(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    class Routed(WebhookView):
        verifier = ELMED
        router = hookseal.Router("elmed")

    async def async_view(request: HttpRequest, event: hookseal.Event) -> Dict[str, str]:
        return {"status": "ok"}

    with serving(path("plain", plain), path("fn", webhook(ELMED)(lambda request, event: {"status": "ok"})),
                 path("async", webhook(ELMED)(async_view)), path("cbv", Routed.as_view())) as client:
        body, headers = unique_elmed()
        assert client.post("/plain", data=body, content_type="application/json").status_code == 403  # the middleware
        for url in ("/fn", "/async", "/cbv"):
            assert deliver(client, url, body, headers)[0] == 200, url


def test_a_body_over_data_upload_max_memory_size_is_413_not_djangos_400() -> None:
    body = json.dumps({"event": "order.status_changed", "padding": "x" * 400}).encode()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=300), serving(path("hook", webhook(ELMED)(summary))) as client:
        assert deliver(client, "/hook", body, elmed_signed(body)) == (413, {"error": "payload_too_large"})


def chunked_request(body: bytes, terminated: bool = True) -> WSGIRequest:
    """A request as gunicorn hands a chunked upload over: no CONTENT_LENGTH, the decoded body in wsgi.input."""
    environ = RequestFactory()._base_environ(  # type: ignore[attr-defined]
        PATH_INFO="/hook", REQUEST_METHOD="POST", CONTENT_TYPE="application/json",
        **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": terminated},
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in elmed_signed(body).items() if k != "Content-Type"},
    )  # fmt: skip
    environ.pop("CONTENT_LENGTH", None)
    return WSGIRequest(environ)


def test_a_chunked_body_is_read_from_the_servers_stream() -> None:
    verifier = hookseal.Verifier("elmed", secret=ELMED_SECRET, max_body_bytes=1000)
    body = json.dumps({"event": "order.status_changed", "padding": "x" * 900}).encode()
    assert len(body) < 1000
    request = chunked_request(body)
    assert request.body == b""  # what Django alone reads of it
    request = chunked_request(body)
    assert verify_request(verifier, request).idempotency_key == body_key(body)
    assert request.body == body  # kept for the view
    over = json.dumps({"event": "order.status_changed", "padding": "x" * 1000}).encode()
    with pytest.raises(hookseal.VerificationError) as refused:
        verify_request(verifier, chunked_request(over))
    assert refused.value.code == "payload_too_large"
    exact = body + b" " * (1000 - len(body))
    assert verify_request(verifier, chunked_request(exact)).idempotency_key == body_key(exact)


def test_a_body_read_as_a_stream_is_a_programming_error() -> None:
    body, headers = unique_elmed()
    request = RequestFactory().post("/hook", data=body, content_type="application/json",
                                    headers=without_content_type(headers))
    request.read(10)  # a middleware, a parser
    with pytest.raises(BodyAlreadyReadError, match=r"already read as a stream.*verify_request\(verifier, request\)"):
        verify_request(ELMED, request)
    # Read whole through request.body, the bytes are kept: that is fine.
    request = RequestFactory().post("/hook", data=body, content_type="application/json",
                                    headers=without_content_type(headers))
    assert request.body == body and verify_request(ELMED, request).idempotency_key == body_key(body)


def test_drf_views() -> None:
    from rest_framework.decorators import api_view, parser_classes
    from rest_framework.parsers import MultiPartParser
    from rest_framework.request import Request
    from rest_framework.response import Response

    @api_view(["POST"])
    def json_data_first(request: Request) -> Response:
        parsed = request.data  # DRF 3.18's JSONParser reads request.body: the bytes stay
        return Response({"parsed": parsed["event"], "key": verify_request(ELMED, request).idempotency_key})

    @api_view(["POST"])
    @parser_classes([MultiPartParser])
    def multipart_data_first(request: Request) -> Response:
        request.data  # reads the stream
        verify_request(ELMED, request)
        return Response({})

    @api_view(["POST"])
    @webhook(ELMED)
    def decorated(request: Request, event: hookseal.Event) -> Response:
        return Response({"key": event.idempotency_key})

    body, headers = unique_elmed()
    with serving(path("json", json_data_first), path("multipart", multipart_data_first), path("deco", decorated)) as c:
        assert deliver(c, "/json", body, headers) == (200, {"parsed": "order.status_changed", "key": body_key(body)})
        assert deliver(c, "/deco", body, headers) == (200, {"key": body_key(body)})
        form = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n'
        with pytest.raises(BodyAlreadyReadError, match="Under Django REST Framework, reading request.data"):
            c.post("/multipart", data=form, content_type="multipart/form-data; boundary=B",
                   headers=without_content_type(elmed_signed(form)))
        c.raise_request_exception = False
        answer = c.post("/multipart", data=form, content_type="multipart/form-data; boundary=B",
                        headers=without_content_type(elmed_signed(form)))
        assert answer.status_code == 500


def test_store_answers_through_the_decorator(tmp_path: Path) -> None:
    store = hookseal.Store(f"sqlite://{tmp_path / 'd.db'}")
    calls: list = []

    def view(request: HttpRequest, event: hookseal.Event) -> Any:
        calls.append(event.idempotency_key)
        if request.GET.get("fail") == "raise":
            raise RuntimeError("the handler failed")
        if request.GET.get("fail") == "503":
            return HttpResponse(status=503)
        return {"status": "processed"}

    with serving(path("hook", webhook(ELMED, store=store)(view)),
                 path("other", webhook(ELMED, store=store, namespace="second-endpoint")(view))) as client:
        body, headers = unique_elmed()
        key = body_key(body)
        client.raise_request_exception = False
        assert client.post("/hook?fail=raise", data=body, content_type="application/json",
                           headers=without_content_type(headers)).status_code == 500
        assert client.post("/hook?fail=503", data=body, content_type="application/json",
                           headers=without_content_type(headers)).status_code == 503
        assert deliver(client, "/hook", body, headers) == (200, {"status": "processed"})  # released twice: runs
        assert deliver(client, "/hook", body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
        assert deliver(client, "/other", body, headers) == (200, {"status": "processed"})  # its own namespace
        assert calls == [key] * 4

    with serving(path("hook", webhook(ELMED, store=store)(view))) as client:
        body, headers = unique_elmed()
        store.claim("elmed", body_key(body))
        response = client.post("/hook", data=body, content_type="application/json",
                               headers=without_content_type(headers))
        assert (response.status_code, json.loads(response.content)) == (503, {"error": "in_progress"})
        assert 1 <= int(response["Retry-After"]) <= 60


def test_an_unreachable_store_is_503_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = hookseal.Store("redis://:hunter2@127.0.0.1:1/0")
    with serving(path("hook", webhook(ELMED, store=store)(summary))) as client:
        body, headers = unique_elmed()
        response = client.post("/hook", data=body, content_type="application/json",
                               headers=without_content_type(headers))
        assert (response.status_code, json.loads(response.content), response["Retry-After"]) == (
            503, {"error": "store_unavailable"}, "5")
    assert "refused a delivery from elmed (POST /hook): store_unavailable: " in caplog.text
    assert "hunter2" not in caplog.text


def test_routers_as_views(caplog: pytest.LogCaptureFixture) -> None:
    store = hookseal.Store("memory:")
    router = hookseal.Router("elmed")
    router.on("order.status_changed", lambda event: None)
    strict = hookseal.Router("elmed", unhandled="reject")

    class Strict(WebhookView):
        verifier = ELMED

    with serving(path("routed", webhook(ELMED, store=store)(router)),
                 path("cbv", WebhookView.as_view(verifier=ELMED, store=store, router=router, namespace="cbv")),
                 path("strict", Strict.as_view(router=strict, store=store, namespace="strict"))) as client:
        body, headers = unique_elmed()
        processed = {"status": "processed", "event_type": "order.status_changed", "idempotency_key": body_key(body)}
        assert deliver(client, "/routed", body, headers) == (200, processed)
        assert deliver(client, "/routed", body, headers) == (200, {"status": "duplicate",
                                                                   "idempotency_key": body_key(body)})
        assert deliver(client, "/cbv", body, headers) == (200, processed)
        for _ in range(2):  # released each time: the retry reaches a deploy with a handler
            assert deliver(client, "/strict", body, headers) == (501, {"error": "unhandled_event"})
    assert f"no handler for the delivery {body_key(body)} from elmed (order.status_changed): refused 501" in caplog.text
    assert webhook(ELMED)(router).__name__ == "elmed_webhook"


def test_set_up_errors_come_at_start_up() -> None:
    novamed_router = hookseal.Router("novamed")
    with pytest.raises(hookseal.ConfigError) as wrong:
        webhook(ELMED)(novamed_router)
    assert wrong.value.code == "invalid_option"
    with pytest.raises(hookseal.ConfigError) as wrong:
        WebhookView.as_view(verifier=ELMED, router=novamed_router)
    assert wrong.value.code == "invalid_option"
    with pytest.raises(ImproperlyConfigured, match="set verifier"):
        WebhookView.as_view(router=hookseal.Router())
    with pytest.raises(ImproperlyConfigured, match="define post"):
        WebhookView.as_view(verifier=ELMED)
    with pytest.raises(ImproperlyConfigured, match="hookseal.Verifier"):
        webhook("elmed")  # type: ignore[arg-type]


def test_async_views() -> None:
    from asgiref.sync import iscoroutinefunction

    store = hookseal.Store("memory:")
    runs: list = []

    async def view(request: HttpRequest, event: hookseal.Event) -> Dict[str, Any]:
        await asyncio.sleep(0)
        runs.append(event.idempotency_key)
        return {"status": "processed", "kept": request.body == _sent[-1]}

    class AsyncHook(WebhookView):
        verifier = ELMED
        store = hookseal.AsyncStore(hookseal.Store("memory:"))

        async def post(self, request: HttpRequest, event: hookseal.Event, *args: Any, **kwargs: Any) -> Any:
            runs.append("cbv")
            return {"status": "processed"}

    decorated = webhook(ELMED, store=store)(view)
    assert iscoroutinefunction(decorated) and iscoroutinefunction(AsyncHook.as_view())
    router = hookseal.Router("elmed")

    async def handler(event: hookseal.Event) -> None:
        runs.append("router")

    router.on("*", handler)
    with serving(path("hook", decorated), path("cbv", AsyncHook.as_view()),
                 path("routed", webhook(ELMED)(router))) as client:
        body, headers = unique_elmed()
        _sent.append(body)
        assert deliver(client, "/hook", body, headers) == (200, {"status": "processed", "kept": True})
        assert deliver(client, "/hook", body, headers) == (200, {"status": "duplicate",
                                                                 "idempotency_key": body_key(body)})
        assert deliver(client, "/hook", body + b" ", headers) == (401, {"error": "signature_mismatch"})
        assert deliver(client, "/cbv", body, headers) == (200, {"status": "processed"})
        assert deliver(client, "/cbv", body, headers)[1]["status"] == "duplicate"
        assert deliver(client, "/routed", body, headers)[1]["status"] == "processed"  # an async handler, sync view
        assert client.get("/hook").status_code == 405
    assert runs == [body_key(body), "cbv", "router"]
