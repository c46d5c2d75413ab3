#!/usr/bin/env bash
# A screenshot of the dashboard of a running service, taken by headless Chromium (Debian's `chromium`).
#   scripts/dashboard-screenshot.sh [BASE_URL] [OUT.png]
# It signs in as the dashboard's form does (an administrator's development token, `onering token 1 --admin`,
# posted once for the session cookie; ONERING names another binary than .build/release/onering), saves the
# page it is shown and photographs that: the token never goes into a URL.
set -euo pipefail
cd "$(dirname "$0")/.."
onering=${ONERING:-.build/release/onering}
base=${1:-"http://127.0.0.1:8080"}
out=${2:-bench-out/dashboard.png}
jar=$(mktemp) page=$(mktemp --suffix=.html)
trap 'rm -f "$jar" "$page"' EXIT
curl -sf -c "$jar" -o /dev/null --data-urlencode "token=$("$onering" token 1 --admin)" "$base/dashboard/session" || true
curl -sf -b "$jar" -o "$page" "$base/dashboard"
command -v chromium >/dev/null || { echo "dashboard-screenshot: installing chromium"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
mkdir -p "$(dirname "$out")"
# --no-sandbox: Chromium refuses to run as root with its sandbox; the page is our own, on loopback.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1900 --screenshot="$out" "file://$page" 2>/dev/null
echo "dashboard-screenshot: $out"
