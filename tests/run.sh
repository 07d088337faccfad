#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian/Ubuntu machine: installs the system
# packages the real test parts need (gnome-keyring, D-Bus, ...), makes .venv with
# roletray and its test extras, then runs pytest. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  gnome-keyring libsecret-tools dbus dbus-bin libglib2.0-bin systemd  # Secret Service; busctl for dunstctl
  xvfb x11-utils xdotool imagemagick fonts-dejavu-core trayer dunst libnotify-bin xclip  # a desktop
  haskell-gtk-sni-tray-utils  # a StatusNotifierItem tray host (how KDE and GNOME show icons)
  python3-tk zenity  # the MFA dialogs: Tk (portable) and zenity (GNOME), typed into from a tray click
  zsh fish  # shell completion is tested in each shell (bash is already there)
  desktop-file-utils  # desktop-file-validate checks the autostart entry
  gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1 libgirepository1.0-dev libcairo2-dev
  pkg-config gcc python3-dev  # building PyGObject for pystray's AppIndicator backend
  faketime  # a real wall-clock jump for the sleep/wake test
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check tray_app tests
exec .venv/bin/python -m pytest "$@"
