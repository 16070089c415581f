#!/usr/bin/env bash
# Opens a `tprog explain --html` page in headless Chromium (Debian package `chromium`) and saves
# a screenshot, so that the page can be looked at without a display.
#
#   scripts/explain_screenshot.sh PAGE.html SHOT.png [WIDTH,HEIGHT] [POSITION]
#
# POSITION opens the page at that position's chain (the URL fragment #pPOSITION, which the page
# also sets when a position is clicked, so a chain can be linked to).
#
# The page is self-contained (no network); Chromium runs with networking features off.
set -euo pipefail
page=${1:?usage: $0 PAGE.html SHOT.png [WIDTH,HEIGHT]}
shot=${2:?usage: $0 PAGE.html SHOT.png [WIDTH,HEIGHT]}
size=${3:-1200,1100}
fragment=${4:+#p$4}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "error: chromium is not installed (apt-get install chromium)" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --no-first-run --user-data-dir="$profile" --hide-scrollbars \
  --screenshot="$(realpath -m "$shot")" --window-size="$size" \
  "file://$(realpath "$page")$fragment" 2>/dev/null
test -s "$shot"
echo "wrote $shot"
