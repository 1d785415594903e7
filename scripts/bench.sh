#!/bin/sh
# make bench: runs every benchmark program in $BUILD/bench and prints figures.
# Figures are printed, never asserted: speed is measured, not tested.
set -eu
BUILD=${BUILD:-build}
export BUILD
for b in "$BUILD"/bench/*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
	echo
done
