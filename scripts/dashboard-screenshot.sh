#!/usr/bin/env bash
# A screenshot of the dashboard of a running service, taken by headless Chromium (Debian's `chromium`).
#   scripts/dashboard-screenshot.sh [URL] [OUT.png]
# URL defaults to the local service with an administrator's development token (`onering token 1 --admin`;
# ONERING names another binary than .build/release/onering).
set -euo pipefail
cd "$(dirname "$0")/.."
onering=${ONERING:-.build/release/onering}
url=${1:-"http://127.0.0.1:8080/dashboard?token=$("$onering" token 1 --admin)"}
out=${2:-bench-out/dashboard.png}
command -v chromium >/dev/null || { echo "dashboard-screenshot: installing chromium"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
mkdir -p "$(dirname "$out")"
# --no-sandbox: Chromium refuses to run as root with its sandbox; the page is our own, on loopback.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1900 --screenshot="$out" "$url" 2>/dev/null
echo "dashboard-screenshot: $out"
