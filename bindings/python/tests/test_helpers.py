"""The framework helpers' edge cases, each on a real HTTP server in a thread (Werkzeug's WSGI server, uvicorn) reached
over a socket: a Flask app whose own MAX_CONTENT_LENGTH is below the verifier's limit, header bytes that are not
ASCII, and FastAPI endpoints that still read the body after the dependency. The examples' full behaviour under
gunicorn and uvicorn processes is test_servers.py."""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from flask import Blueprint, Flask
from werkzeug.serving import make_server

import hookseal
import hookseal.fastapi
import hookseal.flask

KEY = "k\u00e9y-\u00fcber-\u20ac"  # not ASCII: sent as its UTF-8 bytes, as a provider configured with it would
ELMED_SECRET = "whsk_helpers_secret"


def post(port: int, path: str, body: bytes, headers: list[tuple[str, bytes]], chunked: bool = False
         ) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("POST", path)
    for name, value in headers:
        conn.putheader(name, value)
    if chunked:
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for start in range(0, len(body), 16):
            piece = body[start:start + 16]
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
    else:
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
    response = conn.getresponse()
    payload = json.loads(response.read() or b"null")
    conn.close()
    return response.status, payload


@pytest.fixture(scope="module")
def flask_port() -> Iterator[int]:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 100  # below the verifiers' 1 MiB: the app's own limit must win

    novamed = hookseal.Verifier("novamed", secret=KEY)

    @app.post("/novamed")
    @hookseal.flask.webhook(novamed)
    def on_novamed(event: hookseal.Event) -> dict[str, Any]:
        return {"event_type": event.event_type}

    @app.post("/by-hand")
    def by_hand() -> Any:
        try:
            event = hookseal.flask.verify_request(novamed)
        except hookseal.VerificationError as error:
            return hookseal.flask.error_response(error)
        return {"event_type": event.event_type}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def fastapi_port() -> Iterator[int]:
    api = FastAPI()
    novamed = hookseal.Verifier("novamed", secret=KEY)
    elmed = hookseal.Verifier("elmed", secret=ELMED_SECRET, max_body_bytes=1 << 20)

    @api.post("/novamed")
    async def on_novamed(event: hookseal.Event = Depends(hookseal.fastapi.webhook(novamed))) -> dict[str, Any]:
        return {"event_type": event.event_type}

    @api.post("/elmed-then-body")
    async def then_body(request: Request,
                        event: hookseal.Event = Depends(hookseal.fastapi.webhook(elmed))) -> dict[str, Any]:
        raw = await request.body()  # the dependency read the stream; the body is still there
        return {"same": event.idempotency_key == "sha256:" + hashlib.sha256(raw).hexdigest(),
                "size": len(raw)}

    yield from serve(api)


def serve(api: FastAPI) -> Iterator[int]:
    """Serves ``api`` with uvicorn in a thread; yields its port."""
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    yield port
    server.should_exit = True
    thread.join(5)


NOVAMED_BODY = b'{"event_type": "order:shipped", "event_id": "evt_1", "data": {}}'


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_flask_apps_own_lower_limit_is_honoured(flask_port: int, chunked: bool) -> None:
    headers = [("x-api-key", KEY.encode())]
    assert post(flask_port, "/novamed", NOVAMED_BODY, headers, chunked) == (200, {"event_type": "order:shipped"})
    # A whole delivery in the first 100 bytes, then more: refused, never verified from a truncated body.
    padded = NOVAMED_BODY + b" " * (100 - len(NOVAMED_BODY)) + b"PAST THE LIMIT"
    assert post(flask_port, "/novamed", padded, headers, chunked) == (413, {"error": "payload_too_large"})
    exact = NOVAMED_BODY + b" " * (100 - len(NOVAMED_BODY))
    assert post(flask_port, "/novamed", exact, headers, chunked)[0] == 200


def test_flask_view_helpers(flask_port: int) -> None:
    assert post(flask_port, "/by-hand", NOVAMED_BODY, [("x-api-key", KEY.encode())]) == (
        200, {"event_type": "order:shipped"})
    assert post(flask_port, "/by-hand", NOVAMED_BODY, [("x-api-key", b"wrong")]) == (401, {"error": "key_mismatch"})


def test_header_bytes_reach_the_core_as_sent(flask_port: int, fastapi_port: int) -> None:
    # WSGI and ASGI decode header bytes as latin-1; the helpers hand the core the bytes that were on the wire.
    assert post(flask_port, "/novamed", NOVAMED_BODY, [("x-api-key", KEY.encode())])[0] == 200
    assert post(fastapi_port, "/novamed", NOVAMED_BODY, [("x-api-key", KEY.encode())])[0] == 200
    # What re-encoding the server's latin-1 text as UTF-8 would have sent to the core: not the key.
    mangled = KEY.encode().decode("latin-1").encode()
    assert post(fastapi_port, "/novamed", NOVAMED_BODY, [("x-api-key", mangled)]) == (401, {"error": "key_mismatch"})
    assert post(flask_port, "/novamed", NOVAMED_BODY, [("x-api-key", mangled)]) == (401, {"error": "key_mismatch"})


@pytest.mark.parametrize("size", [100, 300 * 1024], ids=["small", "thread-pool"])
def test_fastapi_endpoint_can_still_read_the_body(fastapi_port: int, size: int) -> None:
    body = json.dumps({"event": "order.status_changed", "data": {"pad": "x" * size}}).encode()
    headers = [(name, value.encode()) for name, value in hookseal.sign("elmed", body, secret=ELMED_SECRET).items()]
    for chunked in (False, True):
        assert post(fastapi_port, "/elmed-then-body", body, headers, chunked) == (
            200, {"same": True, "size": len(body)})


# --- one refusal shape: {"error": code}, FastAPI included -----------------------------------------------------------


def test_fastapi_refusals_are_answered_like_every_helpers(
    fastapi_port: int, flask_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing registered on the app: the dependency's own answer, on the first refusal and every later one.
    with caplog.at_level(logging.WARNING, logger="hookseal"):
        for _ in range(2):
            wrong = [("x-api-key", b"wrong")]
            assert post(fastapi_port, "/novamed", NOVAMED_BODY, wrong) == (401, {"error": "key_mismatch"})
            assert post(flask_port, "/novamed", NOVAMED_BODY, wrong) == (401, {"error": "key_mismatch"})
            assert post(fastapi_port, "/novamed", b"{}", [])[0] == 401
    lines = [r.getMessage() for r in caplog.records if r.name == "hookseal" and "refused" in r.getMessage()]
    # One line per refusal, the same wording from both frameworks (Flask's server runs in this process too).
    mismatch = [line for line in lines if line.startswith("refused a delivery from novamed (POST /novamed): "
                                                           "key_mismatch: ")]
    assert len(mismatch) == 4 and len(set(mismatch)) == 1, lines
    assert len(lines) == 6 and all(line.startswith("refused a delivery from novamed (POST /novamed): ")
                                   for line in lines), lines
    assert not any(KEY in line for line in lines)


def test_fastapi_apps_own_handlers() -> None:
    api = FastAPI()
    novamed = hookseal.Verifier("novamed", secret=KEY)

    @api.exception_handler(HTTPException)
    async def everything_else(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"app": exc.detail}, status_code=exc.status_code)

    @api.post("/novamed")
    async def on_novamed(event: hookseal.Event = Depends(hookseal.fastapi.webhook(novamed))) -> dict[str, Any]:
        return {"event_type": event.event_type}

    @api.post("/teapot")
    async def teapot() -> None:
        raise HTTPException(status_code=418, detail="short and stout")

    mine = FastAPI()

    async def my_refusal(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, hookseal.fastapi.WebhookRefused)
        return JSONResponse({"refused": exc.error.code, "why": exc.error.message}, status_code=exc.status_code)

    mine.add_exception_handler(hookseal.fastapi.WebhookRefused, my_refusal)
    mine.post("/novamed")(on_novamed)

    wrong = [("x-api-key", b"wrong")]
    for port in serve(api):
        # hookseal's answer wins over an app-wide HTTPException handler, which still answers every other one.
        assert post(port, "/novamed", NOVAMED_BODY, wrong) == (401, {"error": "key_mismatch"})
        assert post(port, "/teapot", b"", []) == (418, {"app": "short and stout"})
        assert post(port, "/novamed", NOVAMED_BODY, wrong) == (401, {"error": "key_mismatch"})
    for port in serve(mine):
        # A handler the app registered for WebhookRefused itself is kept.
        status, answer = post(port, "/novamed", NOVAMED_BODY, wrong)
        assert (status, answer["refused"]) == (401, "key_mismatch")
        assert post(port, "/novamed", NOVAMED_BODY, [("x-api-key", KEY.encode())]) == (
            200, {"event_type": "order:shipped"})


# --- Flask: @webhook above the route decorator ---------------------------------------------------------------------

ABOVE = "place @webhook\\(...\\) below the route decorator"


def test_flask_webhook_above_the_route_is_refused_at_decoration() -> None:
    app = Flask(__name__)
    novamed = hookseal.Verifier("novamed", secret=KEY)

    with pytest.raises(TypeError, match=ABOVE) as above:
        @hookseal.flask.webhook(novamed)
        @app.post("/novamed")
        def on_novamed(event: hookseal.Event) -> dict[str, Any]:
            return {}
    assert "on_novamed" in str(above.value) and "already registered" in str(above.value)

    blueprint = Blueprint("hooks", __name__)
    with pytest.raises(TypeError, match=ABOVE):
        @hookseal.flask.webhook(novamed)
        @blueprint.route("/novamed", methods=["POST"])
        def on_blueprint(event: hookseal.Event) -> dict[str, Any]:
            return {}

    def create_app() -> Flask:  # the factory pattern: the app is a local of the caller
        local = Flask(__name__)

        @hookseal.flask.webhook(novamed)
        @local.post("/novamed")
        def on_local(event: hookseal.Event) -> dict[str, Any]:
            return {}

        return local

    with pytest.raises(TypeError, match=ABOVE):
        create_app()


def test_flask_webhook_below_the_route_is_fine() -> None:
    app = Flask(__name__)
    blueprint = Blueprint("hooks", __name__)
    novamed = hookseal.Verifier("novamed", secret=KEY)

    @app.post("/novamed")
    @hookseal.flask.webhook(novamed)
    def on_novamed(event: hookseal.Event) -> dict[str, Any]:
        return {"event_type": event.event_type}

    @blueprint.post("/novamed")
    @hookseal.flask.webhook(novamed)
    def on_blueprint(event: hookseal.Event) -> dict[str, Any]:
        return {"event_type": event.event_type}

    def plain(event: hookseal.Event) -> dict[str, Any]:
        return {"event_type": event.event_type}

    app.register_blueprint(blueprint, url_prefix="/bp")
    app.add_url_rule("/by-call", view_func=hookseal.flask.webhook(novamed)(plain), methods=["POST"])
    client = app.test_client()
    for path in ("/novamed", "/bp/novamed", "/by-call"):
        answer = client.post(path, data=NOVAMED_BODY, headers={"x-api-key": "k\u00e9y-\u00fcber-\u20ac".encode().decode("latin-1")})
        assert (answer.status_code, answer.get_json()) == (200, {"event_type": "order:shipped"}), path
