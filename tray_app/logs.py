"""Logging: our own detail at --verbose, nobody else's, and never a secret.

Third-party DEBUG logs are where secrets leak (botocore logs response bodies,
moto logs request headers with session tokens), so ``--verbose`` raises only
the ``tray_app`` logger. A filter also scrubs anything shaped like a session
token or a secret key from every record, as a second line of defence.
"""

from __future__ import annotations

import logging
import re

# Session tokens are long base64 runs; secret keys are 40 base64 chars after a key name.
_TOKEN = re.compile(r"[A-Za-z0-9+/]{80,}={0,2}")
_SECRET = re.compile(
    r"(?i)(secret_?access_?key|session_?token|security-token|SecretAccessKey|SessionToken)"
    r"(['\"]?\s*[:=>]\s*['\"]?|</?\w*>)([A-Za-z0-9+/=]{16,})"
)


def redact(text: str) -> str:
    text = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return _TOKEN.sub("[redacted]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = redact(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("roletray %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("tray_app").setLevel(logging.DEBUG if verbose else logging.WARNING)
