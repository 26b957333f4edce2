#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, once: Debian's
# Chromium (Playwright cannot download its own browser on our machines) and the
# embedded database launcher (built with Go).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Chromium from Debian for the browser tests..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi

npx tsx src/platform/database/build-launcher.cli.ts
