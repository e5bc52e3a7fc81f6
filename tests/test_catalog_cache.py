"""The bundled catalog kept between runs: read back equal, renewed when a file changes,
never an error when the folder cannot be used."""

from __future__ import annotations

import os
import shutil

import pytest

from signalchain.catalog import cache, store


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty cache folder, and default_catalog's in-process copy forgotten."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(folder))
    store.default_catalog.cache_clear()
    yield folder
    store.default_catalog.cache_clear()


def _kept(folder):
    return sorted(p.name for p in folder.glob("catalog-*.pickle")) if folder.exists() else []


def test_the_parsed_catalog_is_kept_and_read_back_equal(fresh, monkeypatch):
    first = store.default_catalog()
    (name,) = _kept(fresh)
    assert oct(os.stat(fresh / name).st_mode & 0o777) == "0o600"
    store.default_catalog.cache_clear()
    parsed = []
    monkeypatch.setattr(store.Catalog, "from_directory",
                        classmethod(lambda cls, *a, **k: parsed.append(a) or first))
    second = store.default_catalog()
    assert parsed == []  # read back, not parsed
    assert second.entries == first.entries and second.origins == first.origins
    assert second is not first


def test_a_changed_file_makes_a_new_copy(fresh, monkeypatch, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(store._data_root(), data)
    monkeypatch.setattr(store, "_data_root", lambda: data)
    store.default_catalog()
    (before,) = _kept(fresh)
    some = sorted(data.rglob("*.yaml"))[0]
    some.write_text(some.read_text() + "\n# a comment changes the bytes\n")
    store.default_catalog.cache_clear()
    store.default_catalog()
    kept = _kept(fresh)  # a new copy beside the old one (another version may still use it)
    assert len(kept) == 2 and before in kept


def test_only_the_most_recently_used_copies_stay(fresh):
    """Beyond KEEP copies the least recently used go; reading a copy makes it recent."""
    fresh.mkdir(parents=True)
    for k in range(cache.KEEP):
        cache.save(f"v{k}", {"k": k})
        os.utime(fresh / f"catalog-v{k}.pickle", (1000 + k, 1000 + k))
    assert cache.load("v0") == {"k": 0}  # v0 used now: v1 is the oldest
    cache.save("new", {"k": "new"})
    assert _kept(fresh) == sorted(["catalog-v0.pickle", "catalog-v2.pickle",
                                   "catalog-v3.pickle", "catalog-new.pickle"])


def test_a_damaged_copy_is_parsed_again(fresh):
    first = store.default_catalog()
    (name,) = _kept(fresh)
    (fresh / name).write_bytes(b"not a pickle")
    store.default_catalog.cache_clear()
    assert store.default_catalog().entries == first.entries


def test_off_and_unwritable_folders_keep_nothing_and_fail_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.ENV_VAR, "off")
    store.default_catalog.cache_clear()
    assert len(store.default_catalog().entries) > 10
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder would be")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "cache"))
    store.default_catalog.cache_clear()
    assert len(store.default_catalog().entries) > 10
    store.default_catalog.cache_clear()


def test_the_bundled_catalog_travels_by_name_and_others_by_value():
    import pickle

    from signalchain.catalog.synthetic import synthetic_catalog

    bundled = store.default_catalog()
    assert len(pickle.dumps(bundled)) < 200  # a reference, not 55 entries
    assert pickle.loads(pickle.dumps(bundled)) is bundled
    mine = synthetic_catalog(bundled, headphones=2, amps=1, seed=3)
    back = pickle.loads(pickle.dumps(mine))
    assert back is not mine and back.entries == mine.entries and not back.bundled


def test_a_folder_named_through_dot_dot_makes_only_that_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "missing" / ".." / "kept"))
    cache.save("x", {"k": 1})
    assert (tmp_path / "kept" / "catalog-x.pickle").exists()
    assert not (tmp_path / "missing").exists()
