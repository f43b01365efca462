"""The READMEs' Python snippets (the repository's and bindings/python's), each README's run in order in one namespace:
documentation that cannot drift from the package."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

import hookseal
from test_django import configure_django, serving, without_content_type

README = Path(__file__).resolve().parents[3] / "README.md"
BINDING_README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_snippets_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3, "the README's Python section lost its snippets"
    configure_django()  # what a Django project's settings.py does; the snippet is a views.py and urls.py
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    # The framework snippets built real apps with their routes.
    assert "/webhooks/elmed" in {rule.rule for rule in namespace["app"].url_map.iter_rules()}  # type: ignore[attr-defined]
    assert "/webhooks/elmed" in {route.path for route in namespace["api"].routes}  # type: ignore[attr-defined]

    # Django's URLconf answers a signed delivery (through CSRF checks, with no token), its retry, a tampered copy.
    body = b'{"event":"order.status_changed","data":{"order_number":"ORD-7","status":"DELIVERED"}}'
    headers = without_content_type(hookseal.sign("elmed", body, secret="elmed-endpoint-secret"))
    with serving(*namespace["urlpatterns"]) as client:  # type: ignore[misc]

        def send(url: str, sent: bytes) -> tuple[int, object]:
            answer = client.post(url, data=sent, content_type="application/json", headers=headers)
            return answer.status_code, answer.json()

        key = "sha256:" + hashlib.sha256(body).hexdigest()
        assert send("/webhooks/elmed", body) == (200, {"status": "processed", "event_type": "order.status_changed"})
        assert send("/webhooks/elmed", body) == (200, {"status": "duplicate", "idempotency_key": key})
        assert send("/webhooks/elmed", body.replace(b"ORD-7", b"ORD-8")) == (401, {"error": "signature_mismatch"})
        assert send("/webhooks/elmed-routed", body) == (200, {"status": "processed", "order": "ORD-7"})


def test_binding_readme_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", BINDING_README.read_text(), flags=re.S)
    assert len(blocks) >= 6, "the binding README lost its snippets"
    assert any("Exactly once" in line for line in BINDING_README.read_text().splitlines() if line.startswith("## "))
    monkeypatch.setenv("HOOKSEAL_STORE", f"sqlite://{tmp_path / 'readme.db'}")  # the snippet's store, fresh per run
    configure_django()
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, str(BINDING_README), "exec"), namespace)
    store = namespace["store"]
    assert isinstance(store, hookseal.Store) and store.backend == "sqlite"

    # The Flask view with the store runs once: a retry of the same delivery is answered as a duplicate.
    body = b'{"event":"prescription.issued","data":{"prescription_number":"RX-9"}}'
    headers = hookseal.sign("elmed", body, secret="whsk_elmed_secret")
    client = namespace["app"].test_client()  # type: ignore[attr-defined]
    first = client.post("/webhooks/elmed-once", data=body, headers=headers)
    again = client.post("/webhooks/elmed-once", data=body, headers=headers)
    key = first.get_json()["idempotency_key"]
    assert (first.status_code, again.status_code, again.get_json()) == (
        200, 200, {"status": "duplicate", "idempotency_key": key})
    assert {route.path for route in namespace["api"].routes} >= {"/webhooks/elmed", "/webhooks/elmed-once"}  # type: ignore[attr-defined]

    # The Django views, function and class-based, through CSRF checks with no token.
    with serving(*namespace["urlpatterns"]) as django_client:  # type: ignore[misc]
        for url in ("/webhooks/elmed", "/webhooks/elmed-cbv"):
            for sent, expected in ((body, 200), (body + b" ", 401)):
                answer = django_client.post(url, data=sent, content_type="application/json",
                                            headers=without_content_type(headers))
                assert answer.status_code == expected, (url, answer.content)
        assert answer.json() == {"error": "signature_mismatch"}
