#!/bin/sh
# Installs attune-gtk and its data: the binary, desktop file, AppStream
# metainfo, icons, D-Bus service and man page. `make install` runs it with the
# Makefile's folders; tests/gtk/desktop.sh runs it into a staging root.
# Usage: install-gtk.sh BINARY (folders from DESTDIR BINDIR DATADIR MANDIR).
set -eu
bin=$1
: "${DESTDIR:=}" "${BINDIR:=/usr/local/bin}" "${DATADIR:=/usr/local/share}"
: "${MANDIR:=$DATADIR/man}"
icons=$DESTDIR$DATADIR/icons/hicolor
install -d "$DESTDIR$BINDIR" "$DESTDIR$DATADIR/applications" "$DESTDIR$DATADIR/metainfo" \
	"$icons/scalable/apps" "$icons/symbolic/apps" "$DESTDIR$DATADIR/dbus-1/services" \
	"$DESTDIR$MANDIR/man1"
install -m 0755 "$bin" "$DESTDIR$BINDIR/attune-gtk"
install -m 0644 data/org.attune.Attune.desktop "$DESTDIR$DATADIR/applications/"
install -m 0644 data/org.attune.Attune.metainfo.xml "$DESTDIR$DATADIR/metainfo/"
install -m 0644 data/icons/org.attune.Attune.svg "$icons/scalable/apps/"
install -m 0644 data/icons/org.attune.Attune-symbolic.svg "$icons/symbolic/apps/"
sed "s|@BINDIR@|$BINDIR|g" data/org.attune.Attune.service.in \
	>"$DESTDIR$DATADIR/dbus-1/services/org.attune.Attune.service"
install -m 0644 docs/man/attune-gtk.1 "$DESTDIR$MANDIR/man1/"
