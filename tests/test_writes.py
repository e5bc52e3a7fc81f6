"""Writing files the user owns: modes, links, owners, line endings, non-files and OS errors.

Covers ``signalchain.io`` (every write), ``tune --write`` (the rig edited in place)
and ``advise --write-rig`` (a new rig).
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from pathlib import Path

import pytest

from signalchain.cli import app
from signalchain.errors import OutputExistsError, RigError
from signalchain.io import (
    OutputWriteError,
    check_output_file,
    write_bytes_atomic,
    write_text_atomic,
)
from tests.conftest import EXAMPLES

EX1 = EXAMPLES / "01-headphone-out-to-splitter.yaml"
SMALL_RIG = """\
# my rig: keep this comment
signalchain: 1
devices:
  laptop: generic/laptop
  ur: {model: steinberg/ur22c, knobs: {phones: 0.5}}
  alice: sennheiser/hd-650
connections:
  - {cable: usb, ends: [laptop.usb, ur.usb]}
  - {plug: alice, into: ur.phones}
"""
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def rig(tmp_path: Path) -> Path:
    path = tmp_path / "rig.yaml"
    path.write_text(SMALL_RIG)
    os.chmod(path, 0o644)
    return path


def tune_write(runner, path: Path):
    return runner.invoke(app, ["tune", str(path), "--write", "--target-spl", "75"])


def assert_user_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr


# 1. modes, links, owners, byte order marks and line endings --------------------------------

def test_new_file_gets_0666_less_umask(tmp_path, umask_022):
    write_text_atomic(tmp_path / "a.yaml", "a: 1\n")
    assert mode(tmp_path / "a.yaml") == 0o644
    os.umask(0o077)
    write_text_atomic(tmp_path / "b.yaml", "b: 1\n")
    assert mode(tmp_path / "b.yaml") == 0o600
    os.umask(0o002)
    write_text_atomic(tmp_path / "sub" / "c.yaml", "c: 1\n")  # missing folders are created
    assert mode(tmp_path / "sub" / "c.yaml") == 0o664
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "sub") == []


@pytest.mark.parametrize("bits", [0o644, 0o640, 0o600, 0o664, 0o755])
def test_overwrite_keeps_mode(tmp_path, umask_022, bits):
    path = tmp_path / "out.yaml"
    path.write_text("old\n")
    os.chmod(path, bits)
    write_text_atomic(path, "new\n", force=True)
    assert path.read_text() == "new\n" and mode(path) == bits


def test_existing_file_needs_force(tmp_path):
    path = tmp_path / "out.yaml"
    path.write_text("old\n")
    with pytest.raises(OutputExistsError, match="already exists"):
        write_text_atomic(path, "new\n")
    with pytest.raises(OutputExistsError):
        check_output_file(path)
    assert path.read_text() == "old\n" and leftovers(tmp_path) == []


def test_tune_write_keeps_mode_comments_and_content(runner, rig):
    result = tune_write(runner, rig)
    assert result.exit_code == 0, result.output
    assert mode(rig) == 0o644
    text = rig.read_text()
    assert text.startswith("# my rig: keep this comment\n") and "phones: " in text
    assert leftovers(rig.parent) == []


def test_read_only_file_is_refused_even_for_root(runner, rig):
    os.chmod(rig, 0o444)
    before = rig.read_bytes()
    with pytest.raises(OutputWriteError, match="read-only"):
        write_text_atomic(rig, "new\n", force=True)
    result = tune_write(runner, rig)
    assert_user_error(result, str(rig), "read-only", "chmod u+w")
    assert rig.read_bytes() == before and mode(rig) == 0o444
    assert leftovers(rig.parent) == []


def test_tune_write_through_symlink_updates_real_file(runner, rig, tmp_path):
    link_dir = tmp_path / "links"
    link_dir.mkdir()
    link = link_dir / "current.yaml"
    link.symlink_to(rig)
    result = tune_write(runner, link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(rig)
    assert "phones: 0.5}" not in rig.read_text()  # the real rig got the new position
    assert mode(rig) == 0o644
    assert leftovers(link_dir) == [] and leftovers(tmp_path) == []


def test_relative_symlink_chain_is_followed(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "rig.yaml"
    real.write_text("old\n")
    (tmp_path / "a.yaml").symlink_to("real/rig.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    write_text_atomic(tmp_path / "b.yaml", "new\n", force=True)
    assert real.read_text() == "new\n"
    assert (tmp_path / "a.yaml").is_symlink() and (tmp_path / "b.yaml").is_symlink()


def test_tune_write_keeps_hard_links(runner, rig, tmp_path):
    other = tmp_path / "backup-name.yaml"
    os.link(rig, other)
    inode = os.stat(rig).st_ino
    result = tune_write(runner, rig)
    assert result.exit_code == 0, result.output
    assert os.stat(rig).st_ino == inode and os.stat(rig).st_nlink == 2
    assert other.read_bytes() == rig.read_bytes() and "phones: 0.5}" not in other.read_text()
    assert mode(rig) == 0o644 and leftovers(tmp_path) == []


def test_hard_linked_file_shrinks_and_grows(tmp_path):
    path, other = tmp_path / "a.yaml", tmp_path / "b.yaml"
    path.write_text("x" * 1000)
    os.link(path, other)
    write_text_atomic(path, "short\n", force=True)
    assert other.read_text() == "short\n"
    write_text_atomic(path, "y" * 5000, force=True)
    assert other.read_text() == "y" * 5000


def test_tune_write_keeps_bom_and_crlf(runner, rig):
    rig.write_bytes(b"\xef\xbb\xbf" + SMALL_RIG.replace("\n", "\r\n").encode())
    result = tune_write(runner, rig)
    assert result.exit_code == 0, result.output
    data = rig.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# my rig: keep this comment\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") > 5  # every line ends in CRLF
    assert b"phones: 0.5}" not in data
    check = runner.invoke(app, ["check", str(rig)])
    assert check.exit_code == 0, check.output


def test_tune_write_plain_file_gets_no_bom_or_crlf(runner, rig):
    assert tune_write(runner, rig).exit_code == 0
    data = rig.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")
def test_overwrite_keeps_owner_and_group(tmp_path):
    path = tmp_path / "theirs.yaml"
    path.write_text("old\n")
    os.chown(path, 4321, 4322)
    os.chmod(path, 0o640)
    write_text_atomic(path, "new\n", force=True)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4322, 0o640)
    assert path.read_text() == "new\n"


def test_file_of_another_user_is_written_in_place(tmp_path, monkeypatch):
    """A user who may write a file but not give it away keeps its owner: no rename."""
    path = tmp_path / "shared.yaml"
    path.write_text("old\n")
    inode = os.stat(path).st_ino
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 1)
    write_text_atomic(path, "new\n", force=True)
    assert os.stat(path).st_ino == inode and path.read_text() == "new\n"


# 2. never replace something that is not a regular file ----------------------------------------

def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.yaml"
    path.mkdir()
    return path


def _socket(tmp_path: Path) -> Path:
    path = tmp_path / "s"
    if len(str(path)) > 100:
        pytest.skip("temporary path too long for a Unix socket")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    return path


def _char_device(tmp_path: Path) -> Path:
    path = tmp_path / "null"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except (PermissionError, AttributeError):
        pytest.skip("cannot create a device node here")
    return path


@pytest.mark.parametrize("make", [_fifo, _directory, _socket, _char_device])
@pytest.mark.parametrize("force", [False, True])
def test_non_regular_files_are_never_replaced(tmp_path, make, force):
    path = make(tmp_path)
    kind = stat.S_IFMT(os.lstat(path).st_mode)
    with pytest.raises(OutputWriteError, match="not a regular file"):
        write_text_atomic(path, "signalchain: 1\n", force=force)
    with pytest.raises(OutputWriteError, match="not a regular file"):
        check_output_file(path, force=force)
    assert stat.S_IFMT(os.lstat(path).st_mode) == kind
    assert leftovers(tmp_path) == []


def test_symlink_to_a_device_is_not_replaced(tmp_path):
    dev = _char_device(tmp_path)
    link = tmp_path / "link.yaml"
    link.symlink_to(dev)
    with pytest.raises(OutputWriteError, match="character device"):
        write_text_atomic(link, "x\n", force=True)
    assert stat.S_ISCHR(os.stat(dev).st_mode) and link.is_symlink()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_advise_write_rig_refuses_device_and_fifo(runner, tmp_path, force):
    for target in (_char_device(tmp_path) if IS_ROOT else _fifo(tmp_path), _fifo(tmp_path)
                   if IS_ROOT else _directory(tmp_path)):
        kind = stat.S_IFMT(os.lstat(target).st_mode)
        result = runner.invoke(app, ["advise", str(EX1), "--write-rig", str(target), *force])
        assert_user_error(result, str(target), "not a regular file")
        assert stat.S_IFMT(os.lstat(target).st_mode) == kind


def test_tune_write_refuses_directory_before_reading(runner, tmp_path):
    folder = _directory(tmp_path)
    result = tune_write(runner, folder)
    assert_user_error(result, str(folder), "is a directory, not a regular file")


# 3. operating-system errors are user errors naming the path and the reason ---------------------

@pytest.fixture
def read_only_dir(tmp_path, monkeypatch):
    """A folder nobody may create files in (root ignores mode bits, so it is simulated)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "rig.yaml").write_text(SMALL_RIG)
    if IS_ROOT:
        real_open = os.open

        def fake_open(path, flags, *args, **kwargs):
            if Path(os.fsdecode(path)).parent == folder and flags & os.O_CREAT:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", fake_open)
        yield folder
    else:
        os.chmod(folder, 0o555)
        yield folder
        os.chmod(folder, 0o755)


def test_read_only_directory(runner, read_only_dir):
    target = read_only_dir / "best.yaml"
    with pytest.raises(OutputWriteError) as info:
        write_text_atomic(target, "x\n")
    text = str(info.value)
    assert str(target) in text and os.strerror(errno.EACCES) in text
    assert str(read_only_dir) in info.value.diagnostics[0].hint
    result = runner.invoke(app, ["advise", str(EX1), "--write-rig", str(target)])
    assert_user_error(result, str(target), os.strerror(errno.EACCES))
    assert not target.exists() and leftovers(read_only_dir) == []


def test_writable_file_in_read_only_directory_is_written_in_place(runner, read_only_dir):
    rig = read_only_dir / "rig.yaml"
    inode = os.stat(rig).st_ino
    result = tune_write(runner, rig)
    assert result.exit_code == 0, result.output
    assert os.stat(rig).st_ino == inode and "phones: 0.5}" not in rig.read_text()
    assert leftovers(read_only_dir) == []


def test_path_under_a_regular_file(runner, tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    target = tmp_path / "notes.txt" / "sub" / "best.yaml"
    with pytest.raises(OutputWriteError, match=os.strerror(errno.ENOTDIR)):
        check_output_file(target, force=True)
    with pytest.raises(OutputWriteError, match="notes.txt is a file"):
        write_text_atomic(target, "x\n", force=True)
    result = runner.invoke(app, ["advise", str(EX1), "--write-rig", str(target), "--force"])
    assert_user_error(result, str(target), os.strerror(errno.ENOTDIR))
    assert (tmp_path / "notes.txt").read_text() == "hello\n"


def test_dangling_symlink_is_an_error_not_a_new_file(runner, tmp_path):
    link = tmp_path / "best.yaml"
    link.symlink_to(tmp_path / "nowhere" / "best.yaml")
    for force in ([], ["--force"]):
        result = runner.invoke(app, ["advise", str(EX1), "--write-rig", str(link), *force])
        assert_user_error(result, str(link), "does not exist", os.strerror(errno.ENOENT))
    with pytest.raises(OutputWriteError, match="symbolic link"):
        write_text_atomic(link, "x\n", force=True)
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()
    assert leftovers(tmp_path) == []


def test_symlink_loop(tmp_path):
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    with pytest.raises(OutputWriteError, match=str(tmp_path / "a.yaml")):
        write_text_atomic(tmp_path / "a.yaml", "x\n", force=True)


def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_keeps_old_content(runner, rig, monkeypatch):
    before = rig.read_bytes()
    monkeypatch.setattr(os, "fsync", _enospc)
    result = tune_write(runner, rig)
    assert_user_error(result, str(rig), os.strerror(errno.ENOSPC), "disk space")
    assert rig.read_bytes() == before and leftovers(rig.parent) == []
    target = rig.parent / "best.yaml"
    result = runner.invoke(app, ["advise", str(EX1), "--write-rig", str(target)])
    assert_user_error(result, str(target), os.strerror(errno.ENOSPC))
    assert not target.exists() and leftovers(rig.parent) == []


def test_disk_full_in_place_keeps_old_content(rig, monkeypatch):
    os.link(rig, rig.parent / "other.yaml")
    before = rig.read_bytes()
    monkeypatch.setattr(os, "posix_fallocate", _enospc)
    with pytest.raises(OutputWriteError, match=os.strerror(errno.ENOSPC)) as info:
        write_bytes_atomic(rig, before * 3, force=True)
    assert str(rig) in str(info.value)
    assert rig.read_bytes() == before


def test_write_errors_are_rig_errors(tmp_path):
    folder = _directory(tmp_path)
    with pytest.raises(RigError):
        write_text_atomic(folder, "x\n", force=True)
