"""The credentials-file writer: golden files, refusal of bad input, atomicity, permissions."""

from __future__ import annotations

import codecs
import contextlib
import os
import random
import shutil
import stat
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse
from filelock import FileLock

from tray_app.credentials_file import CredentialsFile, TemporaryCredentials
from tray_app.errors import CredentialsFileError

GOLDEN = Path(__file__).parent / "golden" / "credentials"
CASES = sorted(p.stem for p in GOLDEN.glob("*.in"))
CREDS = TemporaryCredentials(
    access_key_id="ASIAGOLDENGOLDENGOLD",
    secret_access_key="golden/secret/key+0123456789abcdefghijk",
    session_token="FwoGZXIvYXdzEGoldenSessionToken==",
    expiration=datetime(2026, 11, 28, 12, 34, 56, tzinfo=UTC),
    principal_arn="arn:aws:sts::123456789012:assumed-role/App/alice",
)


def creds_file(tmp_path: Path, content: bytes | None = None) -> CredentialsFile:
    path = tmp_path / ".aws" / "credentials"
    if content is not None:
        path.parent.mkdir(mode=0o700)
        path.write_bytes(content)
    return CredentialsFile(path)


@pytest.mark.parametrize("case", CASES)
def test_golden_write(tmp_path: Path, case: str) -> None:
    original = (GOLDEN / f"{case}.in").read_bytes()
    file = creds_file(tmp_path, original)
    file.write_profile("app", "app", CREDS, region="eu-west-1")
    written = file.path.read_bytes()
    expected = GOLDEN / f"{case}.out"
    if os.environ.get("REGENERATE_GOLDEN"):
        expected.write_bytes(written)
    assert written == expected.read_bytes()
    parsed = raw_config_parse(str(file.path))  # botocore reads what we wrote
    assert parsed["app"]["aws_session_token"] == CREDS.session_token
    assert parsed["app"]["region"] == "eu-west-1"


@pytest.mark.parametrize("case", CASES)
def test_write_then_remove_restores_every_foreign_byte(tmp_path: Path, case: str) -> None:
    original = (GOLDEN / f"{case}.in").read_bytes()
    file = creds_file(tmp_path, original)
    file.write_profile("app", "app", CREDS)
    assert file.remove_profile("app") is True
    original = original.removeprefix(codecs.BOM_UTF8)  # dropped: botocore cannot read it
    after = file.path.read_bytes()
    if b"x_roletray_role" in original:  # the managed section goes, its neighbours stay
        head, _, tail = original.partition(b"[app]")
        assert after == head + tail[tail.index(b"\n\n# the next one") + 1 :]
    else:  # appended: at most the separator we added stays
        assert after.rstrip(b"\r\n") == original.rstrip(b"\r\n")
        assert after.startswith(original)
    assert b"golden" not in after.lower()


def test_rewrite_is_stable(tmp_path: Path) -> None:
    file = creds_file(tmp_path, (GOLDEN / "comments.in").read_bytes())
    file.write_profile("app", "app", CREDS)
    once = file.path.read_bytes()
    file.write_profile("app", "app", CREDS)
    assert file.path.read_bytes() == once


def test_managed_profiles_reports_expiry_and_principal(tmp_path: Path) -> None:
    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    file.write_profile("prod", "prod-admin", CREDS)
    managed = file.managed_profiles()
    assert list(managed) == ["prod"]
    assert managed["prod"].role == "prod-admin"
    assert managed["prod"].expiration == CREDS.expiration
    assert managed["prod"].principal_arn == CREDS.principal_arn


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"[a]\nk = 1\n\n[a]\nk = 2\n", "line 4: section [a] appears twice"),
        (b"[a]\nk = 1\nk = 2\n", "line 3: key 'k' appears twice in [a]"),
        (b"garbage first\n[a]\n", "line 1: text before the first [section]"),
        (b"[a]\nk = 1\nno delimiter here\n", "line 3: not a 'key = value' line"),
        (b"[a\nk = 1\n", "line 1: text before the first [section]"),
        (b"[a]\nk = 1\n\x00\x01\x02", "line 3: the file is binary"),
        (b"[a]\nk = caf\xe9\n", "line 2: not UTF-8 text"),
        (b"[a]\nk = 1\n[]\r[default]\n", "line 3: a lone carriage return"),
    ],
)
def test_unparseable_file_is_left_untouched(tmp_path: Path, content: bytes, phrase: str) -> None:
    file = creds_file(tmp_path, content)
    with pytest.raises(CredentialsFileError) as raised:
        file.write_profile("app", "app", CREDS)
    assert phrase in str(raised.value)
    assert "untouched" in str(raised.value)
    assert file.path.read_bytes() == content
    with pytest.raises(CredentialsFileError):
        file.check_writable("app")
    assert [p.name for p in file.path.parent.iterdir() if "tmp" in p.name] == []


def test_foreign_section_needs_force_and_default_is_never_touched(tmp_path: Path) -> None:
    content = b"[default]\naws_access_key_id = AKIAMINEMINEMINEMINE\n\n[app]\nregion = x\n"
    file = creds_file(tmp_path, content)
    for profile in ("app", "default"):
        with pytest.raises(CredentialsFileError, match="not written by roletray"):
            file.write_profile(profile, "app", CREDS)
        with pytest.raises(CredentialsFileError, match="not written by roletray"):
            file.remove_profile(profile)
    assert file.path.read_bytes() == content
    file.write_profile("app", "app", CREDS, force=True)
    text = file.path.read_text()
    assert text.startswith("[default]\naws_access_key_id = AKIAMINEMINEMINEMINE\n\n[app]\n")
    assert "region = x" not in text


def test_new_file_is_0600_in_a_0700_dir(tmp_path: Path) -> None:
    file = creds_file(tmp_path)
    file.write_profile("app", "app", CREDS)
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.path.parent.stat().st_mode) == 0o700


def test_existing_world_readable_file_becomes_0600(tmp_path: Path) -> None:
    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    file.path.chmod(0o644)
    file.write_profile("app", "app", CREDS)
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600


def test_symlink_stays_a_symlink_and_its_target_is_updated(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "aws-credentials"
    target.write_bytes(b"[default]\nregion = us-east-1\n")
    link = tmp_path / ".aws" / "credentials"
    link.parent.mkdir()
    link.symlink_to(target)
    CredentialsFile(link).write_profile("app", "app", CREDS)
    assert link.is_symlink() and link.resolve() == target
    assert "[app]" in target.read_text()
    assert [p.name for p in dotfiles.iterdir() if "tmp" in p.name] == []


def test_stale_temp_files_are_removed_by_the_next_write(tmp_path: Path) -> None:
    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    stale = file.path.parent / ".credentials.abc123.roletray-tmp"
    stale.write_text("[app]\naws_session_token = left by a killed writer\n")
    file.write_profile("app", "app", CREDS)
    assert not stale.exists()


def test_a_held_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    file = creds_file(tmp_path, b"")
    file.lock_timeout = 0.2
    held = FileLock(file.path.parent / ".credentials.roletray-lock")
    with held, pytest.raises(CredentialsFileError, match="locked by another roletray"):
        file.write_profile("app", "app", CREDS)


class SharingViolation(OSError):
    """What os.replace raises on Windows when another program holds the file open."""

    winerror = 32


@pytest.mark.parametrize(
    ("failure", "sentence"),
    [
        (OSError(28, "No space left on device"), "the disk is full — free some space"),
        (OSError(30, "Read-only file system"), "the file system is read-only"),
        (OSError(13, "Permission denied"), "permission was denied — check the owner"),
        (SharingViolation(13, "Access is denied"), "another program has it open — close"),
    ],
)
def test_a_failed_write_is_one_sentence_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: OSError, sentence: str
) -> None:
    content = b"[default]\nregion = us-east-1\n"
    file = creds_file(tmp_path, content)

    def broken_replace(src: str, dst: str) -> None:
        raise failure

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(CredentialsFileError) as caught:
        file.write_profile("app", "app", CREDS)
    message = str(caught.value)
    assert message.startswith(f"Cannot write {file.path}: ") and sentence in message
    assert message.endswith("the file was not changed.")
    assert file.path.read_bytes() == content
    assert sorted(p.name for p in file.path.parent.iterdir()) == [
        ".credentials.roletray-lock",
        "credentials",
    ]


def test_concurrent_writers_in_threads_all_land(tmp_path: Path) -> None:
    file = creds_file(tmp_path, b"# shared\n[default]\nregion = us-east-1\n")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for _ in range(10):
                CredentialsFile(file.path).write_profile(f"p{n}", f"r{n}", CREDS)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(file.managed_profiles()) == [f"p{n}" for n in range(6)]
    assert file.path.read_text().startswith("# shared\n[default]\nregion = us-east-1\n")


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    file = creds_file(tmp_path)
    assert file.managed_profiles() == {}
    assert file.remove_profile("app") is False
    file.check_writable("app")
    assert not file.path.exists()


def test_unreadable_file_is_one_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        file = creds_file(tmp_path)
        file.path.parent.mkdir()
        file.path.mkdir()  # root reads any file; a directory still fails to read
    else:
        file = creds_file(tmp_path, b"[a]\n")
        file.path.chmod(0)
    with pytest.raises(CredentialsFileError, match="Cannot read"):
        file.managed_profiles()
    shutil.rmtree(tmp_path / ".aws", ignore_errors=True)


def test_credentials_repr_hides_secrets() -> None:
    text = repr(CREDS)
    assert CREDS.secret_access_key not in text and CREDS.session_token not in text


def test_a_lockless_writer_between_read_and_rename_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aws configure set` takes no lock: if it writes while we splice, we read again."""
    import tray_app.credentials_file as module

    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    real_write = module.atomic_write
    calls = []

    def racing_write(path: Path, data: bytes, **kwargs: object) -> tuple[int, int, int]:
        calls.append(path)
        if len(calls) == 1:  # the other program writes after our read
            path.write_bytes(b"[default]\nregion = eu-west-1\n[other]\nk = v\n")
        return real_write(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "atomic_write", racing_write)
    file.write_profile("app", "app", CREDS)
    text = file.path.read_text()
    assert len(calls) == 2
    assert text.startswith("[default]\nregion = eu-west-1\n[other]\nk = v\n\n[app]\n")


def test_a_file_that_never_stops_changing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tray_app.credentials_file as module

    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    real_write = module.atomic_write

    def always_racing(path: Path, data: bytes, **kwargs: object) -> tuple[int, int, int]:
        path.write_bytes(path.read_bytes() + b"# touched\n")
        return real_write(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "atomic_write", always_racing)
    with pytest.raises(CredentialsFileError, match="kept changing"):
        file.write_profile("app", "app", CREDS)
    assert "[app]" not in file.path.read_text()


def test_an_in_place_writer_mid_write_never_makes_us_drop_its_profiles(tmp_path: Path) -> None:
    """Like `aws configure set`: read, truncate, write — in place, with no lock.

    Read between its truncate and its write and we would splice into an empty
    file; our rename would orphan its write, and its next run would read our
    version back: [default] gone for good. We wait for such a write to settle.
    """
    file = creds_file(tmp_path, b"[default]\naws_access_key_id = AKIAOLDOLDOLDOLDOLD0\n")
    stop = threading.Event()
    runs = [0]

    def lockless_writer() -> None:
        while not stop.is_set():
            text = file.path.read_text()
            with open(file.path, "w") as handle:  # truncates in place, then writes
                time.sleep(0.03)  # a slow disk or a big file: the gap we must not read in
                handle.write(text)  # its own edit would go here; the rest is what it read
            runs[0] += 1
            time.sleep(random.uniform(0.15, 0.3))  # aws itself takes ~0.5 s per run

    writer = threading.Thread(target=lockless_writer)
    writer.start()
    refused = 0
    try:
        writes, deadline = 0, time.monotonic() + 60
        while (writes < 40 or runs[0] < 10) and time.monotonic() < deadline:
            try:  # until both sides have had many turns, however loaded the machine
                CredentialsFile(file.path).write_profile("app", "app", CREDS)
            except CredentialsFileError as exc:
                assert "kept changing" in str(exc)
                refused += 1
            writes += 1
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    text = file.path.read_text()
    assert text.startswith("[default]\naws_access_key_id = AKIAOLDOLDOLDOLDOLD0\n"), text
    assert runs[0] >= 10 and writes >= 40 and refused < writes


def test_the_scrub_check_refuses_an_edit_that_touches_another_profile(tmp_path: Path) -> None:
    from tray_app.credentials_file import _verify_scrub

    b = "[b]\naws_access_key_id = AKIAB\n"
    old = "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n" + b
    _verify_scrub(old, b, "a", tmp_path / "c")  # only [a] went
    with pytest.raises(CredentialsFileError, match="removing the key of \\[a\\]"):
        _verify_scrub(old, "[b]\n", "a", tmp_path / "c")  # [b]'s key went too


def test_stale_temps_are_found_by_name_even_with_glob_characters(tmp_path: Path) -> None:
    path = tmp_path / "creds[1]"
    path.write_text("[default]\nregion = us-east-1\n")
    file = CredentialsFile(path)
    stale = tmp_path / ".creds[1].abc123.roletray-tmp"
    stale.write_text("[app]\naws_session_token = left by a killed writer\n")
    kept = [tmp_path / ".creds[1].roletray-tmp", tmp_path / ".credsX.abc.roletray-tmp"]
    for other in kept:
        other.write_text("not ours to remove\n")
    file.write_profile("app", "app", CREDS)
    assert not stale.exists()
    assert all(other.exists() for other in kept)


def test_the_stamp_is_rewritten_in_place_and_never_through_a_link(tmp_path: Path) -> None:
    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    stamp = file.path.parent / ".credentials.roletray-stamp"
    stamp.write_text("(1, 2, 3)" + " " * 200)  # longer than any real stamp
    file.write_profile("app", "app", CREDS)
    info = file.path.stat()
    assert stamp.read_text() == repr((info.st_ino, info.st_size, info.st_mtime_ns))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched\n")
    stamp.unlink()
    stamp.symlink_to(elsewhere)
    file.write_profile("app", "app", CREDS)  # the stamp is best effort: the write lands
    assert elsewhere.read_text() == "untouched\n"
    assert "[app]" in file.path.read_text()


def test_temp_files_are_0600_new_and_named_for_the_stale_sweep(tmp_path: Path) -> None:
    from tray_app.atomicfile import TMP_SUFFIX, _temp_beside

    target = tmp_path / "credentials"
    names = set()
    for _ in range(20):
        fd, name = _temp_beside(target)
        os.close(fd)
        names.add(name)
        assert Path(name).name.startswith(".credentials.") and name.endswith(TMP_SUFFIX)
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600
    assert len(names) == 20


@pytest.mark.parametrize("bad", ["line\n[default]\naws_access_key_id = AKIAEVIL", "two words"])
def test_a_session_value_that_is_not_one_plain_token_takes_the_verified_path(
    tmp_path: Path, bad: str
) -> None:
    """A value with a newline could add lines: the splice by index is not trusted with it."""
    original = b"[default]\nregion = us-east-1\n"
    file = creds_file(tmp_path, original)
    file.write_profile("app", "app", CREDS)
    odd = TemporaryCredentials(CREDS.access_key_id, bad, CREDS.session_token,
                               CREDS.expiration, CREDS.principal_arn)  # fmt: skip
    with contextlib.suppress(CredentialsFileError):  # refused: the file must be as before
        file.write_profile("app", "app", odd)
    parsed = raw_config_parse(str(file.path))
    assert parsed["default"] == {"region": "us-east-1"}
    assert set(parsed) == {"default", "app"}


def test_the_quick_check_still_sees_every_change_since_it_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no code at stake a check skips what the file's state proves; a chmod, a
    foreign edit, a link or a full disk since then are still refused before STS."""
    import tray_app.credentials_file as module

    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    file.write_profile("app", "app", CREDS)
    file.check_writable("app", thorough=False)
    os.chmod(file.path, 0o400)
    with pytest.raises(CredentialsFileError, match="read-only"):
        file.check_writable("app", thorough=False)
    os.chmod(file.path, 0o600)
    file.check_writable("app", thorough=False)
    text = file.path.read_text()
    file.path.write_text(text.replace("[app]", "[app]\nlocal = mine", 1).replace(
        "x_roletray_role = app\n", ""))  # fmt: skip
    with pytest.raises(CredentialsFileError, match="not written by roletray"):
        file.check_writable("app", thorough=False)
    file.path.write_text(text)
    file.check_writable("app", thorough=False)
    moved = file.path.with_name("real")
    file.path.rename(moved)
    file.path.symlink_to(tmp_path / "nowhere")
    with pytest.raises(CredentialsFileError, match="does not exist"):
        file.check_writable("app", thorough=False)
    file.path.unlink()
    moved.rename(file.path)
    file.write_profile("app", "app", CREDS)
    tried = []

    def full(path: Path, size: int) -> None:  # the disk filled meanwhile
        tried.append(size)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module, "check_room", full)
    monkeypatch.setattr(module, "has_room", lambda folder, size: False)
    with pytest.raises(CredentialsFileError, match="the disk is full"):
        file.check_writable("app", thorough=False)
    assert tried, "a tight disk is tried for real"


def test_a_foreign_edit_between_two_of_our_writes_is_read_not_overwritten(tmp_path: Path) -> None:
    """The text of our last write is reused only while the file keeps its stamp."""
    file = creds_file(tmp_path, b"[default]\nregion = us-east-1\n")
    file.write_profile("app", "app", CREDS)
    with file.path.open("a") as handle:  # in place, as `aws configure set` writes
        handle.write("\n[mine]\nregion = eu-west-1\n")
    past = time.time_ns() - 10**9  # an edit a second ago: no settle wait
    os.utime(file.path, ns=(past, past))
    file.write_profile("app", "app", CREDS)
    parsed = raw_config_parse(str(file.path))
    assert parsed["mine"] == {"region": "eu-west-1"}
    assert parsed["app"]["x_roletray_role"] == "app"
