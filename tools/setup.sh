#!/bin/sh
# Installs the Debian packages the build and the tests need, when a tool is
# missing. Called by `make` (once per build directory) and by .ci/run.
# Needs root (or sudo) only when something is missing.
set -eu

# command:package pairs
# (a path instead of a command: that file must exist)
NEEDED="gcc:gcc ld:binutils make:make python3:python3 qemu-system-x86_64:qemu-system-x86
clang-format:clang-format musl-gcc:musl-tools mke2fs:e2fsprogs cpio:cpio readelf:binutils
/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev busybox:busybox-static mmdebstrap:mmdebstrap
debugfs:e2fsprogs gdb:gdb"

missing=""
for pair in $NEEDED; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	case "$cmd" in
	/*) [ -e "$cmd" ] || missing="$missing $pkg" ;;
	*) command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg" ;;
	esac
done
# The initramfs needs the static busybox; Debian's dynamic "busybox" package
# gives a busybox command too (busybox-static replaces it).
if command -v dpkg-query >/dev/null 2>&1 &&
	! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed"; then
	case "$missing" in
	*busybox-static*) ;;
	*) missing="$missing busybox-static" ;;
	esac
fi
[ -z "$missing" ] && exit 0

echo "setup: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "setup: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
