"""`roletray settings [list|get|set|unset]`: the [settings] table, typed and validated."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from tray_app.cli.common import Verbs, add_json_flag, emit, load_config
from tray_app.config import SETTINGS_FIELDS, ConfigStore, Settings
from tray_app.errors import ConfigError

TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def add_parsers(verbs: Verbs) -> None:
    settings = verbs.add_parser("settings", help="show or change [settings] (timeouts, warnings)")
    sub = settings.add_subparsers(title="commands", metavar="COMMAND")
    settings.set_defaults(handler=cmd_list, json=False)
    lst = sub.add_parser("list", help="every setting and its value (the default)")
    add_json_flag(lst)
    lst.set_defaults(handler=cmd_list)
    get = sub.add_parser("get", help="print one setting's value")
    get.add_argument("key", choices=sorted(SETTINGS_FIELDS), metavar="KEY", help="the setting")
    get.set_defaults(handler=cmd_get)
    put = sub.add_parser("set", help="change one setting (validated)")
    put.add_argument("key", choices=sorted(SETTINGS_FIELDS), metavar="KEY", help="the setting")
    put.add_argument("value", help="its new value (true/false, a number, a region)")
    put.set_defaults(handler=cmd_set)
    unset = sub.add_parser("unset", help="back to the default")
    unset.add_argument("key", choices=sorted(SETTINGS_FIELDS), metavar="KEY", help="the setting")
    unset.set_defaults(handler=cmd_unset)


def cmd_list(args: argparse.Namespace) -> int:
    settings = load_config(args).settings
    defaults = Settings()
    rows = [
        {"key": key, "value": _show(value), "default": _show(getattr(defaults, key))}
        for key, value in dataclasses.asdict(settings).items()
    ]
    return emit(args, rows, ("key", "value", "default"))


def cmd_get(args: argparse.Namespace) -> int:
    print(_show(getattr(load_config(args).settings, args.key)))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    value = parse_value(args.key, args.value)
    ConfigStore(args.config).put_setting(args.key, value)
    print(f"Set {args.key} = {_show(value)}.")
    return 0


def cmd_unset(args: argparse.Namespace) -> int:
    ConfigStore(args.config).remove_setting(args.key)
    print(f"{args.key} is back to its default, {_show(getattr(Settings(), args.key))}.")
    return 0


def parse_value(key: str, text: str) -> Any:
    """The typed value the config holds for ``key``; the config's own check says if it is bad."""
    default = getattr(Settings(), key)
    value: Any = text
    if isinstance(default, bool):
        if text.lower() not in TRUE + FALSE:
            raise ConfigError(f"settings.{key} is true or false, not {text!r}.")
        value = text.lower() in TRUE
    elif isinstance(default, int | float):
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise ConfigError(f"settings.{key} is a number, not {text!r}.") from None
    problem = SETTINGS_FIELDS[key](value)
    if problem:
        raise ConfigError(f"settings.{key}: {problem}; nothing was changed.")
    return value


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
