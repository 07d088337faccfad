"""`roletray completion bash|zsh|fish`: shell completion for verbs, options and names.

The verbs and options come from the argparse parser itself, so completion never
drifts from the CLI; role, key set and setting names come at completion time
from ``roletray _complete roles|keys``, which reads only the config
(no STS, no keyring). Install: ``eval "$(roletray completion bash)"`` in
~/.bashrc, ``roletray completion zsh > "${fpath[1]}/_roletray"`` (or the same
``eval`` in ~/.zshrc), ``roletray completion fish >
~/.config/fish/completions/roletray.fish``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from tray_app.cli.common import Verbs, load_config

# Which verb paths take which names as positionals (and --keys takes key sets).
NAMES = {
    "assume": "roles",
    "clear": "roles",
    "status": "roles",
    "roles edit": "roles",
    "roles remove": "roles",
    "keys remove": "keys",
    "mfa clear": "keys",
    "console": "roles",
}
SHELLS = ("bash", "zsh", "fish")


def add_parsers(verbs: Verbs) -> None:
    completion = verbs.add_parser("completion", help="print shell completion (bash, zsh, fish)")
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(handler=cmd_completion)
    names = verbs.add_parser("_complete")  # no help: not listed; used by the scripts
    names.add_argument("kind", choices=("roles", "keys"), help="which names to print")
    names.set_defaults(handler=cmd_names)


def cmd_completion(args: argparse.Namespace) -> int:
    from tray_app.cli import build_parser

    parser = build_parser()
    table, values = dict(paths(parser)), option_values(parser)
    if args.shell == "fish":
        print(fish(table, values))
    else:
        print(bash(table, values, zsh=args.shell == "zsh"))
    return 0


def cmd_names(args: argparse.Namespace) -> int:
    try:
        config = load_config(args)
    except Exception:  # completion must never print an error into the command line
        return 0
    names = config.roles if args.kind == "roles" else config.keys
    print("\n".join(sorted(names)))
    return 0


def paths(parser: argparse.ArgumentParser, path: str = "") -> Iterator[tuple[str, list[str]]]:
    """Each verb path ("", "roles", "roles edit") and the words that may follow it."""
    words: list[str] = []
    children: list[tuple[str, argparse.ArgumentParser]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            children = [(n, p) for n, p in action.choices.items() if not n.startswith("_")]
            words += [name for name, _ in children]
        elif action.option_strings:
            words += [o for o in action.option_strings if o.startswith("--")]
        elif action.choices:  # a positional with fixed values: a shell, a setting
            words += [str(choice) for choice in action.choices]
    yield path, words
    for name, child in children:
        yield from paths(child, f"{path} {name}".strip())


def option_values(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Options with fixed values anywhere in the parser (--mfa-strategy, --unset)."""
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.update(option_values(child))
        elif action.option_strings and action.choices:
            for option in action.option_strings:
                found[option] = [str(choice) for choice in action.choices]
    return found


def _arms(table: dict[str, list[str]]) -> list[tuple[str, list[str], str | None]]:
    """(path, words, names kind), longest path first: the first matching arm wins."""
    return [(p, table[p], NAMES.get(p)) for p in sorted(table, key=lambda p: (-len(p), p))]


def bash(table: dict[str, list[str]], values: dict[str, list[str]], zsh: bool = False) -> str:
    valued = "".join(
        f'        {option}) COMPREPLY=($(compgen -W "{" ".join(words)}" -- "$cur")); return;;\n'
        for option, words in sorted(values.items())
    )
    arms = []
    for path, words, kind in _arms(table):
        names = f" $(roletray _complete {kind} 2>/dev/null | tr '\\n' ' ')" if kind else ""
        pattern = f'"{path}"*' if path else '""'
        arms.append(f'        {pattern}) words="{" ".join(words)}{names}";;')
    prelude = (
        "(( ${+functions[compdef]} )) || { autoload -Uz compinit && compinit -i; }\n"
        "autoload -U +X bashcompinit && bashcompinit\n"
        if zsh
        else ""
    )
    body = "\n".join(arms)
    shell = "zsh" if zsh else "bash"
    return f"""{prelude}# roletray completion for {shell}, made by `roletray completion {shell}`
_roletray() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" said="" words="" i
    case "$prev" in
        --keys)
            words="$(roletray _complete keys 2>/dev/null | tr '\\n' ' ')"
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
            return;;
        --config) COMPREPLY=($(compgen -f -- "$cur")); return;;
{valued}    esac
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --config) ((i++));;
            -*) ;;
            *) said="$said ${{COMP_WORDS[i]}}";;
        esac
    done
    case "${{said# }}" in  # not $path: zsh ties that to $PATH
{body}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -F _roletray roletray"""


def fish(table: dict[str, list[str]], values: dict[str, list[str]]) -> str:
    valued = "".join(
        f"        case {option}\n            printf '%s\\n' {' '.join(words)}\n            return\n"
        for option, words in sorted(values.items())
    )
    arms = []
    for path, words, kind in _arms(table):
        lines = [f"            printf '%s\\n' {' '.join(words)}"]
        if kind:
            lines.append(f"            roletray _complete {kind} 2>/dev/null")
        pattern = f"'{path}*'" if path else "''"
        arms.append(f"        case {pattern}\n" + "\n".join(lines))
    body = "\n".join(arms)
    return f"""# roletray completion for fish, made by `roletray completion fish`
function __roletray_complete
    set -l words (commandline -opc)[2..-1]
    switch "$words[-1]"
        case --keys
            roletray _complete keys 2>/dev/null
            return
        case --config
            __fish_complete_path (commandline -ct)
            return
{valued}    end
    set -l path
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case --config
                set skip 1
            case '-*'
            case '*'
                set path $path $word
        end
    end
    switch (string join ' ' -- $path)
{body}
    end
end
complete -c roletray -f -a '(__roletray_complete)'"""
