"""Where each section of a credentials text lies, so a write need not parse it again.

A full parse of a 5,000-profile file takes ~100 ms with the stdlib's parser (what
botocore uses) and ~150 ms more with configupdater: too slow for every click. So
when a text has been parsed in full once, we keep an *index* of it: its section
names and the span of each section roletray manages. A later write to that exact
text replaces one span, and the index of the new text follows from the old one.

Why a splice by index is safe: a line that starts at column 0 with ``[`` and is a
``[name]`` header is always a section header to configparser (a continuation line
must be indented), so it resets the parser whatever came before it. An index is
only made when the parser's own list of sections equals the column-0 headers found
by the pattern below, in order: then every section starts at such a line and ends
where the next one starts, and replacing one whole span by another ``[name]``
section cannot change how any other line is read. Anything less plain (an
indented header, ``[DEFAULT]``, text after a header's ``]``, hand-indented lines
in the managed section) gets no index and takes the full, verified path.

An index describes a text, not a file: it is looked up by the exact text just
read, so a file changed by anyone else simply finds none.
"""

from __future__ import annotations

import configparser
import io
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

_HEADER = re.compile(r"^\[([^\n]+)\][ \t]*\r?$", re.MULTILINE)
_PLAIN_LINE = re.compile(r"(?:[ \t]*\r?\n?|[#;][^\n]*\n?|[A-Za-z0-9_.-]+[ \t]*=[^\n]*\n?)\Z")
_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")  # as configparser splits (not str.splitlines)
_KEPT = 8  # texts remembered per process (one per file in practice)


@dataclass(frozen=True)
class Index:
    body: str
    sections: frozenset[str]
    managed: dict[str, tuple[int, int]]  # profile → [start, end) of its whole section

    def span(self, profile: str) -> tuple[int, int] | None:
        """Start and end of the part a rewrite replaces: the section without the comments
        and blank lines at its end (they usually introduce the next section, and stay).
        None when a line in it is not a plain ``key = value``, comment or blank line."""
        start, end = self.managed[profile]
        lines = _LINES.findall(self.body, start, end)
        if not all(_PLAIN_LINE.match(line) for line in lines[1:]):
            return None
        cut = end
        for line in reversed(lines[1:]):
            if line.strip() and not line.startswith(("#", ";")):
                break
            cut -= len(line)
        return start, cut

    def replaced(self, profile: str, start: int, cut: int, section: str) -> Index:
        """The index of the text with [start, cut) of ``profile`` replaced by ``section``."""
        body = self.body[:start] + section + self.body[cut:]
        delta = len(section) - (cut - start)
        managed = {
            name: (a + delta, b + delta) if a > start else (a, b)
            for name, (a, b) in self.managed.items()
        }
        managed[profile] = (start, self.managed[profile][1] + delta)
        return Index(body, self.sections, managed)

    def appended(self, profile: str, body: str, section: str) -> Index:
        """The index of ``body``: this text, maybe a newline or two, then ``section``."""
        old_end = len(self.body)
        start = len(body) - len(section)
        managed = {name: (a, start if b == old_end else b) for name, (a, b) in self.managed.items()}
        managed[profile] = (start, len(body))
        return Index(body, self.sections | {profile}, managed)


class Indexes:
    """The indexes this process has, by text (a few; the newest kept)."""

    def __init__(self) -> None:
        self._by_body: dict[str, Index] = {}
        self._lock = threading.Lock()

    def get(self, body: str) -> Index | None:
        with self._lock:
            return self._by_body.get(body)

    def put(self, index: Index) -> None:
        with self._lock:
            self._by_body.pop(index.body, None)
            self._by_body[index.body] = index
            while len(self._by_body) > _KEPT:
                del self._by_body[next(iter(self._by_body))]

    def learn(self, body: str, parser: configparser.RawConfigParser, marker: str) -> None:
        """Index ``body`` from its full parse, when its layout allows (see the module)."""
        if self.get(body) is not None:
            return
        headers = list(_HEADER.finditer(body))
        names = [match.group(1) for match in headers]
        if names != parser.sections():
            return
        ends = [match.start() for match in headers[1:]] + [len(body)] * bool(headers)
        managed = {
            name: (match.start(), end)
            for name, match, end in zip(names, headers, ends, strict=True)
            if parser.has_option(name, marker)
        }
        self.put(Index(body, frozenset(names), managed))


def parse_sections(text: str) -> dict[str, dict[str, str]]:
    """Sections of a small piece of text, as botocore's parser reads them."""
    parser = configparser.RawConfigParser()
    parser.read_file(io.StringIO(text, newline=None))
    return {name: dict(parser[name]) for name in parser.sections()}


def sections_named(index: Index, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """The managed sections ``names`` of an indexed text, each parsed on its own."""
    found = {}
    for name in names:
        start, end = index.managed[name]
        found.update(parse_sections(index.body[start:end]))
    return found
