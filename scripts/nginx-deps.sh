#!/usr/bin/env bash
# nginx for `make run-cluster` and its tests: Debian's package, installed with apt-get.
# The cluster runs its own nginx as a child of the supervisor (config in var/, a high port, no
# root needed); the package's system service is not wanted, so it is kept from starting while
# the package installs. Skips at once when nginx is there (ASBCR_NGINX to use another binary).
set -euo pipefail
nginx=${ASBCR_NGINX:-/usr/sbin/nginx}
if [ -x "$nginx" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "nginx-deps: $nginx is missing and only root can install it." >&2
  echo "  Install Debian's nginx (sudo apt-get install nginx), or set ASBCR_NGINX to an nginx binary." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "nginx-deps: no apt-get here; install nginx yourself and set ASBCR_NGINX to its path." >&2
  exit 1
fi
echo "nginx-deps: installing Debian's nginx (first time: under a minute)"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
policy=/usr/sbin/policy-rc.d
made_policy=
cleanup() {
  rm -f "$log"
  if [ -n "$made_policy" ]; then rm -f "$policy"; fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  # "exit 101" tells Debian's maintainer scripts not to start the service they install.
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
fi
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "nginx-deps: apt-get could not install nginx (output above)" >&2
  exit 1
fi
if [ ! -x "$nginx" ]; then
  echo "nginx-deps: nginx installed but $nginx is not there" >&2
  exit 1
fi
echo "nginx-deps: $("$nginx" -v 2>&1 || echo nginx) ready"
