#!/usr/bin/env bash
# Builds the chat page's assets into web/vendor/ (gitignored), from the npm registry only:
#   GOV.UK Frontend (compiled from Sass with the council's settings: web/src/app.scss),
#   its JavaScript, and axe-core (for the accessibility tests, read from node_modules).
# Exact versions are in web/package.json and web/package-lock.json (`npm ci`).
# Nothing is fetched from a CDN at run time, so the page works without internet.
# Skips at once when nothing changed since the last build (stamp: web/vendor/.built).
set -euo pipefail
cd "$(dirname "$0")/../web"

inputs=(package.json package-lock.json src/app.scss ../scripts/web-assets.sh)
want=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)
stamp=vendor/.built
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/govuk-frontend ]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  cat >&2 <<'MSG'
web-assets: npm is missing. The chat page's styles come from the npm registry (GOV.UK Frontend).
  Install Node.js 18 or later with npm (Debian/Ubuntu: apt-get install nodejs npm), then run make again.
MSG
  exit 1
fi

echo "web-assets: installing GOV.UK Frontend and axe-core (npm ci) and building web/vendor/"
# --omit=optional: Sass's optional native file watcher is not needed for a one-off build.
npm ci --omit=optional --no-audit --no-fund --loglevel=error >/dev/null

rm -rf vendor.new
mkdir -p vendor.new
govuk=node_modules/govuk-frontend/dist/govuk
node_modules/.bin/sass --load-path=node_modules --style=compressed --source-map --quiet-deps \
  src/app.scss vendor.new/app.css
cp "$govuk/govuk-frontend.min.js" "$govuk/govuk-frontend.min.js.map" vendor.new/
# No fonts or images are copied: the council's typeface is Arial (a system font), not GOV.UK's
# GDS Transport, and the only image the styles name is the crown, which a council does not show.
echo "$want" > vendor.new/.built
rm -rf vendor
mv vendor.new vendor
echo "web-assets: built web/vendor/ (GOV.UK Frontend $(node -p 'require("./node_modules/govuk-frontend/package.json").version'))"
