"""Secret files are 0600 from their first byte (issue 12 item 7): under a umask of 022 every
file created while a secret is written is checked the moment it exists (fstat of the new
descriptor), and nothing may be chmod-ed afterwards (the old create-then-chmod window)."""

from __future__ import annotations

import builtins
import io
import json
import os
import stat

import pytest

from inkstream.secure_files import create_private, write_private


@pytest.fixture
def creations(monkeypatch, tmp_path):
    """Every file opened for writing under tmp_path: (path, mode right after open)."""
    seen: list[tuple[str, int]] = []
    real_os_open, real_io_open = os.open, io.open

    def os_open(path, flags, mode=0o777, *args, **kwargs):
        fd = real_os_open(path, flags, mode, *args, **kwargs)
        if flags & (os.O_WRONLY | os.O_RDWR) and str(path).startswith(str(tmp_path)):
            seen.append((str(path), stat.S_IMODE(os.fstat(fd).st_mode)))
        return fd

    def io_open(file, mode="r", *args, **kwargs):
        handle = real_io_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+") and str(file).startswith(str(tmp_path)):
            seen.append((str(file), stat.S_IMODE(os.fstat(handle.fileno()).st_mode)))
        return handle

    def no_chmod(*args, **kwargs):
        raise AssertionError(f"chmod after creation: {args}")

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr(builtins, "open", io_open)
    monkeypatch.setattr(os, "chmod", no_chmod)
    old = os.umask(0o022)
    yield seen
    os.umask(old)


def _all_private(seen, tmp_path, *expect: str) -> None:
    assert seen, "nothing was written"
    assert [(p, oct(m)) for p, m in seen if m != 0o600] == []
    for name in expect:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_review_session_key(creations, tmp_path, base_settings):
    from streams.review.app import _session_key

    key = _session_key(base_settings.model_copy(update={"data_dir": tmp_path}))
    assert len(key) >= 48 and _session_key(base_settings.model_copy(update={"data_dir": tmp_path})) == key
    _all_private(creations, tmp_path, "review/session.key")


def test_reviewers_file_and_its_temp_file(creations, tmp_path):
    from streams.review.users import Reviewers

    reviewers = Reviewers(tmp_path / "review" / "users.json")
    reviewers.add_user("ana", "correct horse battery")
    reviewers.add_user("bo", "another long password", role="admin")
    _all_private(creations, tmp_path, "review/users.json")
    assert len(creations) >= 2 and all(".tmp" in p for p, _ in creations)


def test_api_keys_file(creations, tmp_path, base_settings):
    from connectors.capture.apikeys_shared import open_key_store

    store = open_key_store(base_settings.model_copy(update={"data_dir": tmp_path}))
    store.create("scanner")
    store.flush()
    _all_private(creations, tmp_path)
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in (str(store.path),))


def test_generated_s3_credentials(creations, tmp_path, base_settings, monkeypatch):
    from inkstream.fail_closed import provision_s3_credentials

    # No pair configured (the test run's environment carries the stack's own, when it has one).
    unset = base_settings.s3.model_copy(update={"access_key": None, "secret_key": None})
    assert provision_s3_credentials(base_settings.model_copy(update={"data_dir": tmp_path, "s3": unset}), fresh=True)
    _all_private(creations, tmp_path, "conf/s3-credentials.json")


def test_a_planted_temp_file_or_symlink_is_never_written_through(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "secret.json"
        victim = tmp_path / "elsewhere.txt"
        victim.write_text("do not touch")
        # The fixed temp names the old writers used (users.tmp, apikeys.tmp), planted wide open.
        for planted in (tmp_path / "secret.tmp", tmp_path / ".secret.json.tmp"):
            planted.write_text("attacker")
            os.chmod(planted, 0o666)
        (tmp_path / "secret.link").symlink_to(victim)
        write_private(target, json.dumps({"k": 1}).encode())
        assert stat.S_IMODE(target.stat().st_mode) == 0o600 and json.loads(target.read_text()) == {"k": 1}
        assert victim.read_text() == "do not touch"
        with pytest.raises(FileExistsError):
            create_private(target, b"second writer")
        assert json.loads(target.read_text()) == {"k": 1}
    finally:
        os.umask(old)
