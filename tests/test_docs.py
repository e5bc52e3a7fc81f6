"""The project's own docs: they state what the code does, and point nowhere outside the repo."""

import re

from signalchain import limits
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def test_limits_doc_states_every_default_the_code_has():
    table = {m.group(1): m.group(2) for m in re.finditer(
        r"^\| `([a-z-]+)` \| ([0-9.]+)", (DOCS / "limits.md").read_text(), re.MULTILINE)}
    defaults = limits.DEFAULT.describe()
    assert set(table) == set(defaults)
    for name, value in defaults.items():
        assert float(table[name]) == value, name


def test_readme_and_docs_link_only_to_files_that_exist_and_never_to_shared():
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        text = page.read_text()
        assert "../shared" not in text, page
        for target in re.findall(r"\]\(([^)#]+\.md)\)", text):
            assert (page.parent / target).exists(), (page, target)


def _python_blocks(page):
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), re.MULTILINE | re.DOTALL)


def test_every_api_example_runs(monkeypatch, capsys):
    """Each ```python block of docs/api.md runs as written, from the repository root."""
    blocks = _python_blocks(DOCS / "api.md")
    assert len(blocks) >= 8
    monkeypatch.chdir(ROOT)
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/api.md block {i + 1}", "exec"), {"__name__": "__docs__"})
    printed = capsys.readouterr().out
    assert "unknown device id 'mackie/hm-5'" in printed
    assert "['missing-channel', 'one-ear']" in printed
    assert "['alice.wav', 'bob.wav', 'carol.wav', 'dave.wav']" in printed
