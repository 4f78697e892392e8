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

source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

apt_install chromium
[ -x "$chromium" ] || { echo "chromium installed, but $chromium is missing" >&2; exit 1; }
echo "Chromium is at $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))" >&2
