#!/usr/bin/env bash
# Makes sure a Chromium for the console's browser tests (test/console, playwright-core) is at
# /usr/bin/chromium, or at CHROMIUM_PATH: installs Debian's `chromium` package when it is absent
# (root or sudo). Playwright's own browser download is not used.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  echo "Chromium is at $chromium" >&2
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
  exit 1
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "Need root (or sudo) for: $*" >&2; exit 1
  fi
}

command -v apt-get >/dev/null || { echo "Cannot install Chromium: no apt-get here; install it yourself or set CHROMIUM_PATH" >&2; exit 1; }
echo "Installing chromium from the OS packages" >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x "$chromium" ] || { echo "chromium installed, but $chromium is missing" >&2; exit 1; }
echo "Chromium is at $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))" >&2
