#!/usr/bin/env bash
# The browser for the browser tests: Debian's Chromium, installed with apt-get.
# Test tools never download a browser of their own (no `playwright install`): the tests
# launch /usr/bin/chromium (ASBCR_CHROMIUM to use another). Skips at once when it is there.
set -euo pipefail
chromium=${ASBCR_CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "browser-deps: $chromium is missing and only root can install it." >&2
  echo "  Install Debian's chromium (sudo apt-get install chromium), or set ASBCR_CHROMIUM to a Chromium binary." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser-deps: no apt-get here; install Chromium yourself and set ASBCR_CHROMIUM to its path." >&2
  exit 1
fi
echo "browser-deps: installing Debian's chromium (first time: a minute or two)"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-liberation; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "browser-deps: apt-get could not install chromium (output above)" >&2
  exit 1
fi
if [ ! -x "$chromium" ]; then
  echo "browser-deps: chromium installed but $chromium is not there" >&2
  exit 1
fi
echo "browser-deps: $("$chromium" --version 2>/dev/null || echo chromium) ready"
