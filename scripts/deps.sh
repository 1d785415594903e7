#!/bin/sh
# Installs the Debian packages attune builds and tests with, and says which.
# Run by `make deps`, and by `make check`/`make demo` when pkg-config cannot
# find a library. Uses sudo when not root; on a system without apt-get it
# prints the list and stops.
set -eu

# Build and run: the libraries of DESIGN.md. Tests: cmocka, jansson (reads the
# published JSON test vectors), clang + its runtime (libFuzzer, sanitizers),
# sqlite3 and python3 (end-to-end scripts inspect files and frames), jq (the
# daemon_*.sh scripts read the local API's JSON with it). The relay's
# PostgreSQL backend: libpq-dev to build; postgresql (15: initdb, pg_ctl) for
# the tests that start their own cluster.
PKGS="build-essential pkg-config libuv1-dev libsodium-dev libmsgpack-dev
libsqlite3-dev libsystemd-dev libqrencode-dev libinih-dev libutf8proc-dev libcmocka-dev
libjansson-dev clang libclang-rt-14-dev sqlite3 python3 jq procps psmisc
libpq-dev postgresql"
# attune-gtk (clients/gtk): GTK 4 and libadwaita to build it; its tests run it
# under Xvfb with a private D-Bus session bus and drive it through AT-SPI
# (at-spi2-core, python3-pyatspi; python3-xlib raises and focuses the window
# typed into, a window manager's job); appstream validates its metainfo.
PKGS="$PKGS libgtk-4-dev libadwaita-1-dev xvfb dbus at-spi2-core python3-pyatspi
gir1.2-atspi-2.0 python3-xlib appstream"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: every package attune needs is installed"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: this system has no apt-get; install these packages (Debian names):" >&2
	echo "  $missing" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: need root to install:$missing (no sudo found)" >&2
		exit 1
	fi
fi

echo "deps: installing missing Debian packages:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
