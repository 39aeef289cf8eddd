#!/usr/bin/env bash
# Install the Debian packages the service needs, or say exactly which ones to install.
set -euo pipefail
# docker-compose only validates docker-compose.yml in the tests; no Docker engine is needed.
# chromium runs the Web UI test (headless, through Playwright); no download of its own browser.
PACKAGES=(ffmpeg espeak-ng sox apertium apertium-eng-spa apertium-eng-cat docker-compose chromium
          fonts-dejavu-core)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null && command -v apt-get >/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them as root:  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
