"""The README's Python snippets, run in order in one namespace: documentation that cannot drift from the package."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_python_snippets_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3, "the README's Python section lost its snippets"
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    # The framework snippets built real apps with their routes.
    assert "/webhooks/elmed" in {rule.rule for rule in namespace["app"].url_map.iter_rules()}  # type: ignore[attr-defined]
    assert "/webhooks/elmed" in {route.path for route in namespace["api"].routes}  # type: ignore[attr-defined]
