"""Shell completion, run in the real shells: bash, zsh (through bashcompinit) and fish.

Each completes verbs, subcommands and options taken from the parser, role and
key set names read from the config at completion time, and values of fixed
choices (shells, setting keys).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import Home

pytestmark = pytest.mark.real
CONFIG = """[keys.work]
access_key_id = "AKIAFAKEFAKEFAKEFAKE"
[keys.client]
access_key_id = "AKIAFAKEFAKEFAKEFAKF"
[roles.prod-admin]
role_arn = "arn:aws:iam::123456789012:role/Admin"
keys = "work"
[roles.staging]
role_arn = "arn:aws:iam::123456789012:role/Dev"
keys = "client"
"""
# (the words typed, then the word being completed) → what must be offered, and not
CASES = [
    ((), "", {"assume", "roles", "keys", "mfa", "settings", "completion", "--config"}, {"work"}),
    (("assume",), "", {"prod-admin", "staging", "--all", "--mfa-code"}, {"work"}),
    (("assume",), "st", {"staging"}, {"prod-admin"}),
    (("--config", "x.toml", "clear"), "", {"prod-admin", "--all"}, set()),
    (("roles",), "", {"add", "edit", "list", "remove"}, {"prod-admin"}),
    (("roles", "edit", "staging", "--duration", "900"), "--", {"--unset", "--region"}, set()),
    (("roles", "add", "x", "--keys"), "", {"work", "client"}, {"prod-admin", "--role-arn"}),
    (("keys", "remove"), "", {"work", "client"}, {"staging"}),
    (("mfa",), "", {"status", "clear"}, {"work"}),
    (("mfa", "clear"), "", {"work", "client"}, {"staging"}),
    (("roles", "add", "x", "--mfa-strategy"), "", {"direct", "session"}, {"work"}),
    (("settings", "set"), "warn", {"warn_before"}, {"region"}),
    (("completion",), "", {"bash", "zsh", "fish"}, set()),
]


@pytest.fixture
def configured(home: Home) -> Home:
    home.config.parent.mkdir(parents=True, exist_ok=True)
    home.config.write_text(CONFIG)
    return home


def complete(home: Home, shell: str, typed: tuple[str, ...], current: str) -> set[str]:
    words = " ".join(f"'{w}'" for w in ("roletray", *typed, current))
    index = len(typed) + 1
    if shell == "fish":
        line = " ".join(("roletray", *typed, current))
        script = f"roletray completion fish | source; complete -C '{line}'"
    else:
        setup = "setopt ksharrays; " if shell == "zsh" else ""
        script = (
            f"source <(roletray completion {shell}); {setup}COMP_WORDS=({words}); "
            f'COMP_CWORD={index}; _roletray; printf "%s\\n" "${{COMPREPLY[@]}}"'
        )
    result = subprocess.run(
        [shell, "-c", script], env=home.env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    offered = {line.split("\t")[0] for line in result.stdout.splitlines() if line}
    # zsh's bashcompinit leaves matching the typed prefix to zsh itself (after compadd).
    return {w for w in offered if w.startswith(current)} if shell == "zsh" else offered


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_offers_verbs_options_and_names(configured: Home, shell: str) -> None:
    if not shutil.which(shell):
        pytest.skip(f"needs {shell}: run tests/run.sh")
    for typed, current, offered, not_offered in CASES:
        got = complete(configured, shell, typed, current)
        assert offered <= got, (shell, typed, current, sorted(got))
        assert not (not_offered & got), (shell, typed, current, sorted(got))
