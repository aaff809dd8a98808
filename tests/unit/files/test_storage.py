"""LocalStorage never reaches outside its root and moves files in atomically."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from roomtime.core.storage import LocalStorage, StoragePathError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "key",
    ["", "../x", "a/../../x", "/etc/passwd", "a\\..\\x", "a\x00b", "./a", "a//b", "..", "a/"],
)
def test_keys_outside_or_odd_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(StoragePathError):
        LocalStorage(tmp_path).path_for(key)


def test_a_symlink_leading_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").write_text("s")
    (root / "link").symlink_to(tmp_path / "secret")
    storage = LocalStorage(root)
    with pytest.raises(StoragePathError):
        storage.delete("link")
    assert (tmp_path / "secret").exists()


def test_temp_then_promote(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    temp = storage.open_temp()
    assert re.fullmatch(r"\.incoming/[0-9a-f]{32}\.part", temp.key)
    temp.handle.write(b"data")
    key = storage.new_key("png")
    assert re.fullmatch(r"([0-9a-f]{2})/\1[0-9a-f]{30}\.png", key)
    storage.promote(temp, key)
    assert (tmp_path / key).read_bytes() == b"data"
    assert not (tmp_path / temp.key).exists()
    assert [f.key for f in storage.iter_files()] == [key]
    assert storage.delete(key) and not storage.delete(key)


def test_discard_removes_the_temp_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    temp = storage.open_temp()
    storage.discard(temp)
    assert list(storage.iter_files()) == []
