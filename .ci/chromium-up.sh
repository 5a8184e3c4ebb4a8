#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from Debian, as root, for
# tests/test_explorer.py (Selenium drives it; Playwright's browser download
# is not available on these machines).
#
#   bash .ci/chromium-up.sh     # ~1 s if installed, 30-90 s apt-get otherwise
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "[chromium-up] $(chromium --version 2>/dev/null) and chromedriver already installed"
    exit 0
fi
echo "[chromium-up] installing chromium chromium-driver (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/tmp/actzoo-chromium-apt.log 2>&1 \
    || { cat /tmp/actzoo-chromium-apt.log >&2; echo "[chromium-up] ERROR: apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends chromium chromium-driver >>/tmp/actzoo-chromium-apt.log 2>&1 \
    || { tail -n 30 /tmp/actzoo-chromium-apt.log >&2; echo "[chromium-up] ERROR: apt-get install failed" >&2; exit 1; }
echo "[chromium-up] $(chromium --version 2>/dev/null) installed"
