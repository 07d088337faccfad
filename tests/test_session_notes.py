"""The notes status reads instead of the keyring: one role's note never costs another's,
a damaged file is no notes (and the next write repairs it), and nothing secret is kept."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from tests.test_engine import ARN, NOW
from tray_app.session_notes import Noted, SessionNotes


def note(minutes: int) -> Noted:
    return Noted(ARN, NOW + timedelta(minutes=minutes), "arn:aws:sts::1:assumed-role/A/b")


def test_notes_are_kept_per_role_in_a_private_file(tmp_path: Path) -> None:
    notes = SessionNotes.beside(tmp_path / "config.toml")
    assert notes.path == tmp_path / ".config.toml.sessions.json"
    notes.write("gone", None)
    assert not notes.path.exists(), "forgetting what was never noted writes nothing"
    notes.write("prod", note(60))
    notes.write("dev", note(30))
    notes.write("prod", note(45))
    assert notes.read() == {"prod": note(45), "dev": note(30)}
    notes.write("dev", None)
    assert notes.read() == {"prod": note(45)}
    assert (notes.path.stat().st_mode & 0o777) == 0o600


def test_a_damaged_file_is_no_notes_and_the_next_write_repairs_it(tmp_path: Path) -> None:
    notes = SessionNotes(tmp_path / "notes.json")
    for damage in ("{not json", '{"sessions": {"prod": {"role_arn": "x"}}}', "[]", ""):
        notes.path.write_text(damage)
        assert notes.read() == {}, damage
    notes.write("prod", note(60))
    assert notes.read() == {"prod": note(60)}


def test_writers_in_threads_keep_every_note(tmp_path: Path) -> None:
    notes = SessionNotes(tmp_path / "notes.json")
    threads = [
        threading.Thread(target=notes.write, args=(f"role{n}", note(n))) for n in range(1, 9)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert notes.read() == {f"role{n}": note(n) for n in range(1, 9)}


def test_a_note_that_cannot_be_written_is_logged_not_raised(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the notes' folder should be")
    notes = SessionNotes(blocked / "notes.json")
    notes.write("prod", note(60))  # the session itself is in the keyring: no failure
    assert notes.read() == {}
