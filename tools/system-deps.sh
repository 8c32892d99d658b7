#!/bin/sh
# Install the Debian packages the kit's tests use, when they are missing.
# As root (as in CI) it runs apt-get; as anyone else it lists what to install and carries on.
# Usage: tools/system-deps.sh PACKAGE...
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: not a Debian system; install the equivalents of:$missing" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "system-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || echo "system-deps: apt-get update failed; trying the install anyway" >&2
    # shellcheck disable=SC2086  # one word per package
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "system-deps: missing Debian packages:$missing" >&2
    echo "system-deps: run: sudo apt-get install$missing   (tests needing them are skipped, or fail with CI=true)" >&2
fi
