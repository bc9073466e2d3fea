#!/usr/bin/env bash
# Make sure a Chromium for the JupyterLab browser test is installed (Debian's `chromium`).
# As root with apt-get, install it when missing; otherwise say what is missing and fail.
# $LITSCOPE_CHROMIUM names another Chromium binary.
set -euo pipefail
browser="${LITSCOPE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
    exit 0
fi
if [ -n "${LITSCOPE_CHROMIUM:-}" ]; then
    echo "make e2e: LITSCOPE_CHROMIUM=$browser is not an executable file" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "make e2e: installing Debian's chromium and CJK fonts (apt-get) ..."
    apt-get update -q
    # fonts-noto-cjk: the sample's Chinese summaries show as text in the screenshots
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk
    exit 0
fi
echo "make e2e: needs Chromium at /usr/bin/chromium: run 'sudo apt-get install -y chromium'" \
     "(Debian/Ubuntu), or set LITSCOPE_CHROMIUM=/path/to/chromium" >&2
exit 1
