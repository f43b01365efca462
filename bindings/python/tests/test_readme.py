"""The READMEs' Python snippets (the repository's and bindings/python's), each README's run in order in one namespace:
documentation that cannot drift from the package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hookseal

README = Path(__file__).resolve().parents[3] / "README.md"
BINDING_README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_snippets_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3, "the README's Python section lost its snippets"
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    # The framework snippets built real apps with their routes.
    assert "/webhooks/elmed" in {rule.rule for rule in namespace["app"].url_map.iter_rules()}  # type: ignore[attr-defined]
    assert "/webhooks/elmed" in {route.path for route in namespace["api"].routes}  # type: ignore[attr-defined]


def test_binding_readme_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", BINDING_README.read_text(), flags=re.S)
    assert len(blocks) >= 6, "the binding README lost its snippets"
    assert any("Exactly once" in line for line in BINDING_README.read_text().splitlines() if line.startswith("## "))
    monkeypatch.setenv("HOOKSEAL_STORE", f"sqlite://{tmp_path / 'readme.db'}")  # the snippet's store, fresh per run
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
