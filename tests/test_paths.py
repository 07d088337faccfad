"""Where roletray's config is: the Linux answer taken without platformdirs is its answer."""

from __future__ import annotations

import platformdirs
import pytest

from tray_app.paths import APP_NAME, user_config_dir


@pytest.mark.parametrize(
    ("xdg", "home"),
    [
        ("/xdg/config", "/home/alice"),  # XDG_CONFIG_HOME wins when absolute
        ("relative/config", "/home/alice"),  # a relative one is ignored, as the spec says
        ("", "/home/alice/"),  # empty: HOME's .config, a trailing slash or not
        (None, "/"),
        (None, "relative-home"),  # not plain: platformdirs decides
        (None, None),
    ],
)
def test_the_linux_config_dir_is_platformdirs_own(
    monkeypatch: pytest.MonkeyPatch, xdg: str | None, home: str | None
) -> None:
    env = {}
    for name, value in (("XDG_CONFIG_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
            env[name] = value
    try:
        expected = platformdirs.user_config_path(APP_NAME, appauthor=False)
    except RuntimeError:  # platformdirs finds no home: neither may we guess one
        with pytest.raises(RuntimeError):
            user_config_dir("linux", env)
        return
    assert user_config_dir("linux", env) == expected
