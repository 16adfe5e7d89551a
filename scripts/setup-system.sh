#!/usr/bin/env bash
# Install the Debian packages tutela's tests and features need, if they are missing:
# PostgreSQL (store tests), Chromium (browser tests), FFmpeg and its libraries (video).
set -euo pipefail
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in postgresql chromium ffmpeg pkg-config libavformat-dev libavcodec-dev libavdevice-dev \
           libavfilter-dev libavutil-dev libswscale-dev libswresample-dev; do
  have_pkg "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "missing system packages (${need[*]}) and no apt-get to install them" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
