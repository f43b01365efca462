"""hookseal.django: the example project under gunicorn for what only Django has (the DRF trap, CSRF, 405, start-up,
a middleware that read the chunked body's empty view first), and the helper through Django's test clients and its
ASGI handler for the rest of its surface (every provider's headers, the exact header bytes, DATA_UPLOAD_MAX_MEMORY_SIZE,
chunked bodies on servers that decode them and on servers that do not, a malformed Content-Length, the store's answers,
answers rendered after the view, routers, async views on a real event loop, set-up errors).

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
import pickle
import re
import runpy
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

import django
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
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
    fresh_event_id,
    novamed_body,
    novamed_signed,
    NOVAMED_SAMPLES,
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

from hookseal.django import (  # noqa: E402 (settings first)
    BodyAlreadyReadError,
    ChunkedBodyUnsupportedError,
    WebhookMixin,
    WebhookView,
    verify_request,
    webhook,
)


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
    before = len(example.output())
    status, headers, _ = raw_exchange(example, "GET", url, b"", {})
    assert status == 405 and "POST" in headers["allow"]
    # A POST to the same route after it does reach the handler (which logs "processing <key>"), so the log from the
    # GET on holds exactly that one line: the GET's, had its handler run, would come before it (a worker logs, then
    # answers).
    if url == "/webhooks/elmed":
        body = elmed_body(ELMED_SAMPLES[0])
        key, sent = body_key(body), post(example, url, body, elmed_signed(body))
    else:
        key = fresh_event_id()
        body = novamed_body(NOVAMED_SAMPLES[0], key)
        sent = post(example, url, body, novamed_signed(body))
    assert sent[0] == 200 and sent[1]["status"] == "processed", sent
    wait_for(example, re.escape(f"processing {key}"), 1)
    assert re.findall(r"processing \S+", example.output()[before:]) == [f"processing {key}"]


BODY_LOGGING_SETTINGS = '''
"""The example's settings with a middleware before everything that logs the size of request.body (tests only)."""
import logging

from receiver.settings import *  # noqa: F401,F403

MIDDLEWARE = ["hookseal_body_logging_settings.log_body_size", *MIDDLEWARE]  # noqa: F405


def log_body_size(get_response):
    def middleware(request):
        logging.getLogger("webhooks").info("the middleware read %d bytes of request.body", len(request.body))
        return get_response(request)

    return middleware
'''


def test_a_chunked_delivery_after_a_middleware_read_request_body(tmp_path: Path) -> None:
    # Django's view of a chunked body is 0 bytes (it reads Content-Length bytes, and there is none): a middleware that
    # logs request.body reads b"" and Django keeps it. The delivery's bytes are still in gunicorn's wsgi.input.
    (tmp_path / "hookseal_body_logging_settings.py").write_text(BODY_LOGGING_SETTINGS)
    python_path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    for server in start("django", f"sqlite://{tmp_path / 'dedupe.db'}", tmp_path, PYTHONPATH=python_path,
                        DJANGO_SETTINGS_MODULE="hookseal_body_logging_settings"):
        body = elmed_body(ELMED_SAMPLES[0])
        for chunk_size in (100, None):
            sent = body if chunk_size else elmed_body(ELMED_SAMPLES[0])
            status, answer = post(server, "/webhooks/elmed", sent, elmed_signed(sent), chunk_size=chunk_size)
            assert (status, answer["status"], answer["idempotency_key"]) == (200, "processed", body_key(sent))
        assert post(server, "/webhooks/elmed", body, elmed_signed(body), chunk_size=100) == (
            200, {"status": "duplicate", "idempotency_key": body_key(body)})
        tampered = body.replace(b"{", b'{"x": 1,', 1)
        assert post(server, "/webhooks/elmed", tampered, elmed_signed(body), chunk_size=100) == (
            401, {"error": "signature_mismatch"})
        wait_for(server, "the middleware read 0 bytes of request.body", 3)  # the chunked ones
        wait_for(server, r"the middleware read [1-9]\d* bytes of request.body", 1)  # the one with Content-Length
        assert f"processing {body_key(body)}" in server.output()


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


# --- chunked bodies, Content-Length, what reads the body first ----------------------------------------------------


def chunked_post(client: Client, url: str, body: bytes, headers: Mapping[str, str], *, terminated: bool = True,
                 content_type: str = "application/json") -> Any:
    """POSTs ``body`` through the test client as a WSGI server hands a chunked upload over: no Content-Length (Django
    reads 0 bytes of it), ``Transfer-Encoding: chunked``, and the decoded body in wsgi.input, ended at its end and
    saying so with wsgi.input_terminated as gunicorn does (``terminated``), or not, as runserver and uWSGI do."""
    extra: Dict[str, Any] = {"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body)}
    if terminated:
        extra["wsgi.input_terminated"] = True
    return client.post(url, data=body, content_type=content_type, headers=without_content_type(headers), **extra)


_middleware_saw: List[Any] = []


def body_reading_middleware(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """A middleware that logs request.body before the view, as many do."""

    def middleware(request: HttpRequest) -> HttpResponse:
        _middleware_saw.append(request.body)
        return get_response(request)

    return middleware


def post_reading_middleware(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """A middleware that reads request.POST (a form-aware one: a language switcher, an audit log)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        _middleware_saw.append(dict(request.POST))
        return get_response(request)

    return middleware


def test_a_chunked_body_read_as_empty_by_a_middleware_is_still_verified() -> None:
    def view(request: HttpRequest, event: hookseal.Event) -> Dict[str, Any]:
        return {"key": event.idempotency_key, "body": request.body.decode(), "post": list(request.POST)}

    for middleware in ("body_reading_middleware", "post_reading_middleware"):
        _middleware_saw.clear()
        with override_settings(MIDDLEWARE=[f"test_django.{middleware}", *settings.MIDDLEWARE]), \
                serving(path("hook", webhook(ELMED)(view))) as client:
            body, headers = unique_elmed()
            # As a form, so that request.POST parses it (its one field is the whole JSON text).
            answer = chunked_post(client, "/hook", body, headers, content_type="application/x-www-form-urlencoded")
            assert (answer.status_code, answer.json()) == (200, {
                "key": body_key(body), "body": body.decode(), "post": [body.decode()]}), middleware  # fmt: skip
            # What the middleware saw: Django's empty view of it (its own problem; the delivery is verified).
            assert _middleware_saw == [b""] if middleware == "body_reading_middleware" else [{}]
            tampered = chunked_post(client, "/hook", body + b" ", headers)
            assert (tampered.status_code, tampered.json()) == (401, {"error": "signature_mismatch"})


def test_verify_request_twice_on_a_chunked_body_and_a_replaced_stream_read_first() -> None:
    body, _ = unique_elmed()
    request = chunked_request(body)
    assert request.body == b""
    assert verify_request(ELMED, request).idempotency_key == body_key(body)
    assert verify_request(ELMED, request).idempotency_key == body_key(body)  # the kept bytes, not wsgi.input's end
    # Django's stream replaced (by a middleware) and read: what it held is gone, whatever wsgi.input still has.
    request = chunked_request(body)
    request._stream = io.BytesIO(body)
    request.read()
    with pytest.raises(BodyAlreadyReadError, match="already read as a stream"):
        verify_request(ELMED, request)


def test_a_chunked_body_on_a_server_that_does_not_decode_it_is_a_500_that_names_the_fix() -> None:
    calls: list = []
    with serving(path("hook", webhook(ELMED)(lambda request, event: calls.append(event) or {}))) as client:
        body, headers = unique_elmed()
        with pytest.raises(ChunkedBodyUnsupportedError) as raised:
            chunked_post(client, "/hook", body, headers, terminated=False)
        message = str(raised.value)
        assert "this request (POST /hook) has a chunked body" in message
        assert "does not decode chunked bodies" in message and "Serve the webhooks with gunicorn" in message
        client.raise_request_exception = False
        answer = chunked_post(client, "/hook", body, headers, terminated=False)
        assert answer.status_code == 500 and b"signature_mismatch" not in answer.content
        # The same server, a request with no body and no Transfer-Encoding: an ordinary refusal.
        empty = client.post("/hook", headers=without_content_type(headers))
        assert (empty.status_code, empty.json()) == (401, {"error": "signature_mismatch"})
    assert calls == []


# "+12" and " " are Django's int()'s, not HTTP's (RFC 9110: 1*DIGIT): gunicorn and uvicorn answer both 400.
@pytest.mark.parametrize("declared", ["12abc", "-1", "+12", "1e3", "1_2", " ", "\u0661\u0662"])
def test_a_malformed_content_length_is_djangos_400(caplog: pytest.LogCaptureFixture, declared: str) -> None:
    calls: list = []
    with serving(path("hook", webhook(ELMED)(lambda request, event: calls.append(event) or {}))) as client:
        body, headers = unique_elmed()
        client.raise_request_exception = False
        answer = client.post("/hook", data=body, content_type="application/json",
                             headers=without_content_type(headers), CONTENT_LENGTH=declared)
    assert answer.status_code == 400 and b"signature_mismatch" not in answer.content
    assert "hookseal.django: the request's Content-Length is not a number of bytes" in caplog.text
    assert calls == []


@pytest.mark.parametrize("around", [(" ", ""), ("", " "), ("\t", "\t")], ids=["leading", "trailing", "tabs"])
def test_whitespace_around_content_length_is_not_part_of_it(around: Tuple[str, str]) -> None:
    verifier = hookseal.Verifier("elmed", secret=ELMED_SECRET, max_body_bytes=300)
    with serving(path("hook", webhook(verifier)(summary))) as client:
        body, headers = unique_elmed()
        _sent.append(body)
        answer = client.post("/hook", data=body, content_type="application/json", headers=without_content_type(headers),
                             CONTENT_LENGTH=f"{around[0]}{len(body)}{around[1]}")
        assert (answer.status_code, answer.json()["body_kept"]) == (200, True)
        large = json.dumps({"event": "order.status_changed", "padding": "x" * 400}).encode()
        answer = client.post("/hook", data=large, content_type="application/json",
                             headers=without_content_type(elmed_signed(large)),
                             CONTENT_LENGTH=f"{around[0]}{len(large)}{around[1]}")
        assert (answer.status_code, answer.json()) == (413, {"error": "payload_too_large"})  # still read as a number


def test_a_chunked_body_over_data_upload_max_memory_size_is_413() -> None:
    verifier = hookseal.Verifier("elmed", secret=ELMED_SECRET, max_body_bytes=10_000)
    body = json.dumps({"event": "order.status_changed", "padding": "x" * 400}).encode()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=300), serving(path("hook", webhook(verifier)(summary))) as c:
        answer = chunked_post(c, "/hook", body, elmed_signed(body))
        assert (answer.status_code, answer.json()) == (413, {"error": "payload_too_large"})
    exact = override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=len(body))
    with exact, serving(path("hook", webhook(verifier)(summary))) as c:
        _sent.append(body)
        answer = chunked_post(c, "/hook", body, elmed_signed(body))  # exactly the limit: passes
        assert (answer.status_code, answer.json()["body_kept"]) == (200, True)


class CountingFile(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
    """What Django's ASGI handler buffers a body in, counting how much of it is read."""

    def __init__(self, body: bytes) -> None:
        super().__init__(max_size=1024 * 1024, mode="w+b")
        self.write(body)
        self.seek(0)
        self.reads: List[int] = []

    def read(self, *args: Any) -> bytes:
        data: bytes = super().read(*args)
        self.reads.append(len(data))
        return data


def asgi_request(body_file: Any, headers: Mapping[str, str], content_length: Optional[int] = None) -> ASGIRequest:
    """The request Django's ASGI handler builds for a chunked upload (no content-length) or one with it."""
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    if content_length is not None:
        raw.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "method": "POST", "path": "/hook", "query_string": b"", "headers": raw}
    return ASGIRequest(scope, body_file)


def test_an_asgi_body_without_content_length_is_read_bounded() -> None:
    verifier = hookseal.Verifier("elmed", secret=ELMED_SECRET, max_body_bytes=1000)
    big = json.dumps({"event": "order.status_changed", "padding": "x" * 500_000}).encode()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):
        big_file = CountingFile(big)
        with pytest.raises(hookseal.VerificationError) as refused:
            verify_request(verifier, asgi_request(big_file, elmed_signed(big)))
        assert refused.value.code == "payload_too_large"
        assert sum(big_file.reads) <= 1001, big_file.reads  # never the whole body in memory
        # Under the limit: verified, and kept for request.body and request.POST.
        body, headers = unique_elmed()
        request = asgi_request(CountingFile(body), headers)
        assert verify_request(verifier, request).idempotency_key == body_key(body) and request.body == body
        # A Content-Length under the limit that understates the body does not let the rest through either.
        with pytest.raises(hookseal.VerificationError, match="over the limit"):
            request = asgi_request(CountingFile(big), elmed_signed(big), content_length=len(body))
            request.body  # a middleware read it whole: Django reads an ASGI body to its end
            verify_request(verifier, request)


def asgi_post(url: str, body: bytes, headers: Mapping[str, str], chunk: int = 1000) -> Tuple[int, Any]:
    """Django's ASGI handler, sent a chunked upload as an ASGI server sends it (no content-length, several messages)."""
    messages = [{"type": "http.request", "body": body[i : i + chunk], "more_body": i + chunk < len(body)}
                for i in range(0, len(body), chunk)]
    sent: list = []

    async def receive() -> Dict[str, Any]:
        if not messages:  # the client stays connected until the answer is sent (Django listens for a disconnect)
            await asyncio.Event().wait()
        return messages.pop(0)

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": url, "raw_path": url.encode(), "query_string": b"", "server": ("testserver", 80),
             "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")] + [
                 (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
                 if name.lower() != "content-type"]}  # fmt: skip
    asyncio.run(ASGIHandler()(scope, receive, send))
    start_message = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start_message["status"], json.loads(content)


def test_chunked_bodies_through_djangos_asgi_handler() -> None:
    verifier = hookseal.Verifier("elmed", secret=ELMED_SECRET, max_body_bytes=5000)
    store = hookseal.Store("memory:")

    async def view(request: HttpRequest, event: hookseal.Event) -> Dict[str, Any]:
        return {"key": event.idempotency_key, "size": len(request.body)}

    body = json.dumps({"event": "order.status_changed", "nonce": uuid.uuid4().hex, "padding": "x" * 3000}).encode()
    over = json.dumps({"event": "order.status_changed", "padding": "x" * 6000}).encode()
    with override_settings(ROOT_URLCONF=urlconf(path("hook", webhook(verifier, store=store)(view)))):
        assert asgi_post("/hook", body, elmed_signed(body)) == (200, {"key": body_key(body), "size": len(body)})
        assert asgi_post("/hook", body, elmed_signed(body)) == (200, {"status": "duplicate",
                                                                      "idempotency_key": body_key(body)})
        with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):
            assert asgi_post("/hook", over, elmed_signed(over)) == (413, {"error": "payload_too_large"})
        with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000):  # lower than the verifier's: the limit
            assert asgi_post("/hook", body, elmed_signed(body)) == (413, {"error": "payload_too_large"})


# --- answers rendered after the view, DRF -------------------------------------------------------------------------


class FlakyTemplate:
    """A template whose first rendering fails (a missing variable under string_if_invalid, a bug in a tag)."""

    def __init__(self) -> None:
        self.renders = 0

    def render(self, context: Any = None, request: Any = None) -> str:
        self.renders += 1
        if self.renders == 1:
            raise ValueError("the template failed")
        return '{"status": "rendered"}'


def test_an_answer_whose_rendering_fails_releases_the_key() -> None:
    from rest_framework.decorators import api_view
    from rest_framework.request import Request
    from rest_framework.response import Response

    store = hookseal.Store("memory:")
    runs: list = []
    template = FlakyTemplate()

    @api_view(["POST"])
    @webhook(ELMED, store=store, namespace="drf")
    def drf(request: Request, event: hookseal.Event) -> Response:
        runs.append("drf")
        # The first answer cannot be rendered as JSON (DRF renders it after the view): a 500 after the view ran.
        return Response({"when": object()} if len(runs) == 1 else {"key": event.idempotency_key})

    @webhook(ELMED, store=store, namespace="template")
    def templated(request: HttpRequest, event: hookseal.Event) -> SimpleTemplateResponse:
        runs.append("template")
        return SimpleTemplateResponse(template, content_type="application/json")

    @webhook(ELMED, store=store, namespace="async")
    async def async_templated(request: HttpRequest, event: hookseal.Event) -> SimpleTemplateResponse:
        runs.append("async")
        return SimpleTemplateResponse(async_template, content_type="application/json")

    async_template = FlakyTemplate()
    with serving(path("drf", drf), path("template", templated), path("async", async_templated)) as client:
        client.raise_request_exception = False
        body, headers = unique_elmed()
        key = body_key(body)
        for url, second in (("/drf", {"key": key}), ("/template", {"status": "rendered"})):
            runs.clear()
            failed = client.post(url, data=body, content_type="application/json", headers=without_content_type(headers))
            assert failed.status_code == 500
            # Released: the provider's retry is processed, not answered "duplicate" (that would lose the delivery).
            assert deliver(client, url, body, headers) == (200, second)
            assert deliver(client, url, body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
            assert runs == [url[1:]] * 2

    async def through_the_async_handler() -> List[Tuple[int, bytes]]:
        with override_settings(ROOT_URLCONF=urlconf(path("async", async_templated))):
            client = AsyncClient(raise_request_exception=False)
            answers = []
            for _ in range(3):
                answer = await client.post("/async", data=body, content_type="application/json",
                                           headers=without_content_type(headers))
                answers.append((answer.status_code, answer.content))
            return answers

    runs.clear()
    answers = asyncio.run(through_the_async_handler())
    assert [status for status, _ in answers] == [500, 200, 200]
    assert json.loads(answers[1][1]) == {"status": "rendered"}
    assert json.loads(answers[2][1]) == {"status": "duplicate", "idempotency_key": key}
    assert runs == ["async", "async"]


class SwappingMiddleware:
    """A process_template_response middleware that, asked to by the query, answers another response instead of the
    view's (``?swap=replace``: as one reading DRF's response.data and answering its own) or raises (``?swap=raise``):
    the view's answer is never rendered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_template_response(self, request: HttpRequest,
                                  response: SimpleTemplateResponse) -> SimpleTemplateResponse:
        swap = request.GET.get("swap")
        if swap == "replace":  # Django renders what this returns: another template response
            return SimpleTemplateResponse(JsonTemplate('{"replaced": true}'), content_type="application/json")
        if swap == "raise":
            raise RuntimeError("the middleware failed")
        return response


class JsonTemplate:
    def __init__(self, text: str = '{"status": "rendered"}') -> None:
        self.text = text

    def render(self, context: Any = None, request: Any = None) -> str:
        return self.text


def test_an_answer_never_rendered_is_settled_at_the_end_of_the_request() -> None:
    from rest_framework.decorators import api_view
    from rest_framework.request import Request
    from rest_framework.response import Response

    store = hookseal.Store("memory:")
    runs: list = []

    @webhook(ELMED, store=store, namespace="template")
    def templated(request: HttpRequest, event: hookseal.Event) -> SimpleTemplateResponse:
        runs.append("template")
        return SimpleTemplateResponse(JsonTemplate(), content_type="application/json")

    @api_view(["POST"])
    @webhook(ELMED, store=store, namespace="drf")
    def drf(request: Request, event: hookseal.Event) -> Response:
        runs.append("drf")
        return Response({"status": "rendered"})

    @webhook(ELMED, store=store, namespace="async")
    async def async_templated(request: HttpRequest, event: hookseal.Event) -> SimpleTemplateResponse:
        runs.append("async")
        return SimpleTemplateResponse(JsonTemplate(), content_type="application/json")

    urls = urlconf(path("template", templated), path("drf", drf), path("async", async_templated))
    middleware = override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "test_django.SwappingMiddleware"])

    def scenario(post: Callable[[str, bytes, Mapping[str, str]], Tuple[int, Any]], url: str) -> None:
        body, headers = unique_elmed()
        key = body_key(body)
        runs.clear()
        # Replaced: settled by the view's own 200 (done), so the retry is a duplicate, not 503 in_progress.
        assert post(f"{url}?swap=replace", body, headers) == (200, {"replaced": True})
        assert post(url, body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
        body, headers = unique_elmed()
        key = body_key(body)
        # Raised: Django answered 500, so the key is released and the retry processed.
        assert post(f"{url}?swap=raise", body, headers) == (500, None)
        assert post(url, body, headers) == (200, {"status": "rendered"})
        assert post(url, body, headers) == (200, {"status": "duplicate", "idempotency_key": key})
        assert runs == [url[1:]] * 3

    def sync_post(url: str, body: bytes, headers: Mapping[str, str]) -> Tuple[int, Any]:
        answer = Client(raise_request_exception=False).post(url, data=body, content_type="application/json",
                                                             headers=without_content_type(headers))
        return answer.status_code, answer.json() if answer.status_code != 500 else None

    async def through_the_async_client(url: str) -> Tuple[str, str, List[Tuple[int, Any]]]:
        """The scenario's five requests through AsyncClient (Django's async handler, middleware adapted to it)."""
        client = AsyncClient(raise_request_exception=False)
        (first, first_headers), (second, second_headers) = unique_elmed(), unique_elmed()
        answers = []
        for target, body, headers in ((f"{url}?swap=replace", first, first_headers), (url, first, first_headers),
                                      (f"{url}?swap=raise", second, second_headers), (url, second, second_headers),
                                      (url, second, second_headers)):
            answer = await client.post(target, data=body, content_type="application/json",
                                       headers=without_content_type(headers))
            answers.append((answer.status_code, answer.json() if answer.status_code != 500 else None))
        return body_key(first), body_key(second), answers

    with middleware, override_settings(ROOT_URLCONF=urls):
        for url in ("/template", "/drf", "/async"):
            scenario(sync_post, url)
        for url in ("/template", "/drf", "/async"):
            runs.clear()
            first, second, answers = asyncio.run(through_the_async_client(url))
            assert answers == [(200, {"replaced": True}), (200, {"status": "duplicate", "idempotency_key": first}),
                               (500, None), (200, {"status": "rendered"}),
                               (200, {"status": "duplicate", "idempotency_key": second})], url
            assert runs == [url[1:]] * 3


def test_a_rendered_answer_is_settled_and_stays_picklable() -> None:
    store = hookseal.Store("memory:")

    @webhook(ELMED, store=store, namespace="pickled")
    def templated(request: HttpRequest, event: hookseal.Event) -> SimpleTemplateResponse:
        return SimpleTemplateResponse(JsonTemplate(), content_type="application/json")

    body, headers = unique_elmed()
    request = RequestFactory().post("/hook", data=body, content_type="application/json",
                                    headers=without_content_type(headers))
    answer = templated(request)
    assert isinstance(answer, SimpleTemplateResponse) and not answer.is_rendered
    assert store.claim("pickled", body_key(body)).status == "in_progress"  # settled only once rendered
    answer.render()
    assert store.claim("pickled", body_key(body)).status == "duplicate"
    assert "render" not in answer.__dict__  # as Django's cache middleware pickles it, from a post-render callback
    assert pickle.loads(pickle.dumps(answer)).content == b'{"status": "rendered"}'
    request.close()  # the end of the request: already settled, nothing more happens
    assert store.claim("pickled", body_key(body)).status == "duplicate"


def test_webhook_mixin_on_a_drf_api_view_is_refused_at_start_up() -> None:
    from rest_framework.views import APIView

    class Mixed(WebhookMixin, APIView):
        verifier = ELMED
        router = hookseal.Router("elmed")

    with pytest.raises(ImproperlyConfigured) as refused:
        Mixed.as_view()
    message = str(refused.value)
    assert "Mixed: hookseal.django.WebhookMixin is for Django's View, not a Django REST Framework APIView" in message
    assert '@api_view(["POST"]) over @hookseal.django.webhook(verifier)' in message
    assert "hookseal.django.verify_request(verifier, request) first" in message


def test_set_up_errors_never_show_a_secret() -> None:
    url = "redis://:hunter2@db.internal:6379/0"
    for make in (lambda: webhook(ELMED, store=url),  # type: ignore[arg-type]
                 lambda: WebhookView.as_view(verifier=ELMED, store=url, router=hookseal.Router("elmed"))):
        with pytest.raises(ImproperlyConfigured) as refused:
            make()
        assert "hunter2" not in str(refused.value) and "hunter2" not in repr(refused.value)
        assert "not a str: open it with hookseal.Store(url)" in str(refused.value)
    with pytest.raises(ImproperlyConfigured) as refused:
        webhook("whsk_live_the_secret")  # type: ignore[arg-type]
    assert "the_secret" not in str(refused.value) and "not a str" in str(refused.value)
    with pytest.raises(ImproperlyConfigured) as refused:
        WebhookView.as_view(verifier=ELMED, router="whsk_live_the_secret")
    assert "the_secret" not in str(refused.value)


# --- async views on a real event loop -----------------------------------------------------------------------------


def test_an_async_view_with_a_store_through_the_async_client(tmp_path: Path) -> None:
    store = hookseal.Store(f"sqlite://{tmp_path / 'async.db'}")
    seen: list = []

    async def view(request: HttpRequest, event: hookseal.Event) -> Dict[str, Any]:
        seen.append((asyncio.get_running_loop(), threading.get_ident()))
        await asyncio.sleep(0.01)  # a real await: the loop runs other work meanwhile
        if request.GET.get("fail"):
            raise RuntimeError("the handler failed")
        return {"status": "processed", "key": event.idempotency_key}

    async def scenario() -> List[Tuple[int, Any]]:
        loop = asyncio.get_running_loop()
        client = AsyncClient(enforce_csrf_checks=True, raise_request_exception=False)
        body, headers = unique_elmed()
        answers = []
        for url in ("/hook?fail=1", "/hook", "/hook"):
            answer = await client.post(url, data=body, content_type="application/json",
                                       headers=without_content_type(headers))
            answers.append((answer.status_code, answer.content))
        # Two copies at once on the one loop: the store lets one through, the other finds it done or in progress.
        other, other_headers = unique_elmed()
        both = await asyncio.gather(*(client.post("/hook", data=other, content_type="application/json",
                                                  headers=without_content_type(other_headers)) for _ in range(2)))
        answers += [(answer.status_code, answer.content) for answer in both]
        assert all(seen_loop is loop for seen_loop, _ in seen)  # the view ran on this loop, not in a thread's own
        return [(status, json.loads(content) if status != 500 else None) for status, content in answers] + [
            (0, body_key(body)), (0, body_key(other))]

    with override_settings(ROOT_URLCONF=urlconf(path("hook", webhook(ELMED, store=store)(view)))):
        *answers, (_, key), (_, other_key) = asyncio.run(scenario())
    assert answers[:3] == [(500, None), (200, {"status": "processed", "key": key}),  # released, then processed
                           (200, {"status": "duplicate", "idempotency_key": key})]
    assert sorted(status for status, _ in answers[3:]) in ([200, 200], [200, 503])
    assert [answer["status"] for _, answer in answers[3:] if "status" in answer].count("processed") == 1
    assert len(seen) == 3 and len({ident for _, ident in seen}) == 1  # the failed, the retry, one of the copies
