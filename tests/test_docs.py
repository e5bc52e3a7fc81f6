"""The project's own docs: they state what the code does, and point nowhere outside the repo."""

import importlib.util
import json
import re

import typer.main

from signalchain import limits
from signalchain.cli import app
from signalchain.findings import FINDING_CODES
from signalchain.gate import CHECK_CODES
from signalchain.rig import Rig
from signalchain.schema import RigSpec
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
    assert len(blocks) >= 15
    monkeypatch.chdir(ROOT)
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/api.md block {i + 1}", "exec"), {"__name__": "__docs__"})
    printed = capsys.readouterr().out
    assert "unknown device id 'mackie/hm-5'" in printed
    assert "['missing-channel', 'one-ear']" in printed
    assert "['alice.wav', 'bob.wav', 'carol.wav', 'dave.wav']" in printed
    assert "['missing-channel', 'one-ear']\n[]\n" in printed  # rewired with dual TS: stereo
    assert "mine.yaml:2:16: error: unknown device id 'mackie/hm-5'" in printed


# ------------------------------------------------------------------ helpers for the pages
def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def _sections(page, level: int = 2) -> dict[str, str]:
    """Heading text -> the text below it, up to the next heading of the same level or higher."""
    marks = "#" * level
    parts = re.split(rf"^({marks} .+)$", page.read_text(), flags=re.MULTILINE)
    return {head[level + 1:].strip(): body for head, body in zip(parts[1::2], parts[2::2],
                                                                 strict=True)}


def _gen_docs():
    """scripts/gen_docs.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_links_between_pages_point_at_headings_that_exist():
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    for page in pages:
        for target, anchor in re.findall(r"\]\(([^)#\s]*)#([^)\s]+)\)", page.read_text()):
            where = (page.parent / target) if target else page
            assert anchor in _anchors(where), (page.name, target, anchor)


def test_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    for page in DOCS.glob("*.md"):
        assert f"(docs/{page.name})" in readme, page.name


# ------------------------------------------------------------------ rig-format.md
def test_rig_format_tables_are_generated_from_the_current_schema():
    gen = _gen_docs()
    block = gen.generated_block((DOCS / "rig-format.md").read_text())
    assert block == gen.field_tables(RigSpec.model_json_schema()), (
        "docs/rig-format.md is out of date: run python scripts/gen_docs.py")


def test_rig_format_documents_every_field_of_every_model():
    """Every model of the schema has a table with a row per field (read from the schema)."""
    schema = RigSpec.model_json_schema()
    models = {"RigSpec": schema, **schema["$defs"]}
    tables = _sections(DOCS / "rig-format.md", level=3)
    for name, model in models.items():
        assert name in tables, f"no table for {name}"
        rows = set(re.findall(r"^\| `([^`]+)` \|", tables[name], re.MULTILINE))
        assert rows == set(model.get("properties", {})), name
        for field in model.get("required", []):
            assert re.search(rf"^\| `{field}` \|[^\n]*\*\*required\*\*", tables[name],
                             re.MULTILINE), (name, field)


def test_generator_states_ranges_and_alternatives():
    """The 'accepts' column is made from the schema's keywords, not copied from descriptions."""
    gen = _gen_docs()
    assert gen.type_text({"type": "number", "minimum": 0.001, "maximum": 1000.0}) == \
        "number 0.001 to 1000"
    assert gen.type_text({"type": "number", "exclusiveMinimum": 0.0, "maximum": 100.0}) == \
        "number > 0 and ≤ 100"
    assert gen.type_text({"anyOf": [{"type": "integer", "enum": [50, 60]},
                                    {"type": "null"}]}) == "`50` or `60`"
    assert gen.type_text({"type": "array", "maxItems": 8, "items": {"$ref": "#/$defs/EndRef"}}
                         ) == "list (at most 8) of [EndRef](#endref)"
    assert gen.type_text({"if": {"type": "string"}, "then": {"type": "string", "enum": ["a"]},
                          "else": {"type": "boolean"}}) == "`a` or `true` or `false`"


def test_every_complete_rig_in_rig_format_is_valid():
    """The page's full rig examples load, plug together and simulate."""
    blocks = re.findall(r"^```yaml\n(signalchain: 1\b.*?)^```", (DOCS / "rig-format.md")
                        .read_text(), re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 2
    for i, text in enumerate(blocks):
        rig = Rig.from_text(text, f"rig-format.md example {i + 1}")
        assert rig.check().listeners, i
        for lf in rig.simulate().listeners:
            assert {c.channel for c in lf.program_at("left")} == {"L"}, (i, lf.id)
            assert {c.channel for c in lf.program_at("right")} == {"R"}, (i, lf.id)


# ------------------------------------------------------------------ cli.md
def _commands():
    """(command path, click command) for every command, groups included."""
    root = typer.main.get_command(app)
    todo = [((), root)]
    while todo:
        path, cmd = todo.pop()
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            todo.append(((*path, name), sub))


def test_cli_doc_covers_every_command_and_option():
    sections = _sections(DOCS / "cli.md")
    for path, cmd in _commands():
        options = [o for p in cmd.params for o in p.opts if o.startswith("--")]
        if not path:
            title = "Global options"
        elif getattr(cmd, "commands", None):
            continue  # 'catalog' only groups its subcommands (each has its section)
        else:
            title = "signalchain " + " ".join(path)
        assert title in sections, f"docs/cli.md has no section '## {title}'"
        for option in options:
            assert re.search(rf"`{re.escape(option)}\b", sections[title]), (title, option)


def test_cli_doc_states_the_exit_codes_the_cli_uses():
    codes = _sections(DOCS / "cli.md")["Exit codes"]
    for code in ("0", "1", "2", "3", "128+N"):
        assert f"| {code} |" in codes
    assert "SIGNALCHAIN_CATALOG" in (DOCS / "cli.md").read_text()
    assert "FILE:LINE:COL: error: message" in (DOCS / "cli.md").read_text()


# ------------------------------------------------------------------ json.md
def _documented_keys(section: str) -> set[str]:
    """The key paths of a json.md section's tables (a ``finding`` row implies its keys)."""
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]*) \|", section, re.MULTILINE)
    keys = {path for path, _type in rows}
    keys |= {f"{path}.{k}" for path, kind in rows if kind.strip() == "finding"
             for k in ("code", "severity", "message")}
    return keys


def _key_paths(value, documented: set[str], prefix: str = ""):
    """Every key path in ``value``, in json.md's notation (``a[].b``, ``a.*``)."""
    if isinstance(value, dict):
        is_map = any(d.startswith(f"{prefix}.*" if prefix else "*") for d in documented)
        for key, item in value.items():
            path = "*" if is_map else key
            path = f"{prefix}.{path}" if prefix else path
            yield path
            yield from _key_paths(item, documented, path)
    elif isinstance(value, list):
        for item in value:
            yield from _key_paths(item, documented, f"{prefix}[]")


def _is_documented(path: str, documented: set[str]) -> bool:
    if path in documented:
        return True
    if any(d.startswith((path + ".", path + "[]")) for d in documented):
        return True  # a container whose contents are documented
    bases = [d[:-3] for d in documented if d.endswith(".**")]  # everything below is described
    return any(path == b or path.startswith((b + ".", b + "[")) for b in bases)


def _undocumented(data, documented: set[str]) -> list[str]:
    return sorted({p for p in _key_paths(data, documented) if not _is_documented(p, documented)})


def _run_json(runner, *args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output)
    return json.loads(result.stdout)


def test_json_doc_documents_every_key_each_command_prints(runner, tmp_path, monkeypatch):
    """Run each command on example rigs; every key of its JSON is in docs/json.md."""
    monkeypatch.chdir(ROOT)
    sections = _sections(DOCS / "json.md")
    simulate = _documented_keys(sections["simulate --json"])
    keyed = {name: _documented_keys(body) for name, body in sections.items()}
    per_listener = {k for k in simulate if k.startswith(("listeners[]", "stages[]"))}
    outputs: list[tuple[str, object, set[str]]] = []
    for rig in sorted((ROOT / "examples").glob("*.yaml")):
        outputs.append((rig.name, _run_json(runner, "simulate", str(rig), "--json"), simulate))
    ex1, ex2 = (str(ROOT / "examples" / n) for n in (
        "01-headphone-out-to-splitter.yaml", "02-left-line-out-to-splitter.yaml"))
    outputs += [
        ("check", _run_json(runner, "check", ex1, "--json"), keyed["check --json"]),
        ("check --fail-on", _run_json(runner, "check", ex2, "--json", "--fail-on", "warning",
                                      code=1), keyed["check --json"]),
        ("tune", _run_json(runner, "tune", ex1, "--json", "--listener", "carol=74"),
         keyed["tune --json"] | per_listener),
        ("advise", _run_json(runner, "advise", ex1, "--json"), keyed["advise --json"]),
        ("catalog list", _run_json(runner, "catalog", "list", "--json"),
         keyed["catalog list --json"]),
        ("limits", _run_json(runner, "limits", "--json"), keyed["limits --json"]),
    ]
    for entry in ("mackie/hm-4", "sennheiser/hd-650", "dual-ts-to-trs", "motu/m2"):
        outputs.append((entry, _run_json(runner, "catalog", "show", entry, "--json"),
                        keyed["catalog show --json"]))
    bad = tmp_path / "bad.yaml"
    bad.write_text("signalchain: 1\ndevices: {amp: mackie/hm-5}\n")
    outputs.append(("invalid", _run_json(runner, "check", str(bad), "--json", code=1),
                    keyed["invalid rig --json"]))
    out = tmp_path / "render"
    result = runner.invoke(app, ["render", ex1, "--out", str(out), "--seconds", "0.2"])
    assert result.exit_code == 0, result.output
    outputs.append(("summary.json", json.loads((out / "summary.json").read_text()),
                    simulate | keyed["render summary.json"]))
    for name, data, documented in outputs:
        assert not _undocumented(data, documented), (name, _undocumented(data, documented))
        if "signalchain" in documented:  # the format version the page promises
            assert data["signalchain"] == 1, name


def test_json_doc_notation_catches_an_undocumented_key():
    documented = {"knobs.*", "listeners[].id", "methods[].connections[].**", "links.**"}
    data = {"knobs": {"hm4.out1": 0.5}, "listeners": [{"id": "a", "new": 1}],
            "methods": [{"connections": [{"cable": "usb", "ends": {"a": "x.y"}}]}],
            "links": [{"joins": ["a.tip"]}], "linksx": 1}
    assert _undocumented(data, documented) == ["linksx", "listeners[].new"]


def test_json_doc_lists_every_finding_code_with_its_severities(runner, monkeypatch):
    """Every code, and every (code, severity) the example rigs produce, is in the table."""
    monkeypatch.chdir(ROOT)
    table = _sections(DOCS / "json.md", level=3)["Finding codes"]
    rows = set(re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \|", table, re.MULTILINE))
    assert {code for code, _ in rows} == set(FINDING_CODES) | set(CHECK_CODES)
    seen = set()
    for rig in sorted((ROOT / "examples").glob("*.yaml")):
        data = _run_json(runner, "simulate", str(rig), "--json")
        findings = [*data["warnings"], *(w for lf in data["listeners"] for w in lf["warnings"])]
        seen |= {(f["code"], f["severity"]) for f in findings}
    assert {"one-ear", "missing-channel"} <= {code for code, _ in seen}
    assert seen <= rows, seen - rows
