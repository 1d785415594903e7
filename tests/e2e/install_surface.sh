#!/usr/bin/env bash
# The installed surface: `make install-libs DESTDIR=...` (part of `make install`)
# puts libattune (the core)
# and libattune-client there, static and shared with a SONAME, with their
# headers and pkg-config files; every symbol they define for others starts
# with attune_ (nm); a small program builds against the installed headers
# with pkg-config alone and runs against the installed shared library.
. tests/e2e/lib.sh

ROOT="$T_DIR/root"
make -s --no-print-directory install-libs BUILD="$BUILD" DESTDIR="$ROOT" PREFIX=/usr \
	>"$T_DIR/install.log" 2>&1; rc=$?
check "make install-libs DESTDIR=... works (the libraries part of make install)" test "$rc" -eq 0
LIB="$ROOT/usr/lib"
for l in libattune libattune-client; do
	check "$l.a is installed" test -f "$LIB/$l.a"
	so=$(ls "$LIB/$l.so".*.*.* 2>/dev/null | head -1)
	check "$l.so.X.Y.Z is installed" test -n "$so"
	check "$l.so.0 and $l.so link to it" test -L "$LIB/$l.so.0" -a -L "$LIB/$l.so"
	check "$l's SONAME is $l.so.0" \
		sh -c "objdump -p '$so' | grep -Eq 'SONAME +$l\.so\.0\$'"
	bad=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^attune_' | head -5)
	check "$l.so exports only attune_* (nm -D)" test -z "$bad"
	[ -z "$bad" ] || echo "# $bad" >&2
	bad=$(nm -g --defined-only "$LIB/$l.a" 2>/dev/null | awk 'NF == 3 {print $3}' | grep -v '^attune_' | head -5)
	check "$l.a defines only attune_* globally (nm)" test -z "$bad"
	[ -z "$bad" ] || echo "# $bad" >&2
done
check "attune.h is installed" test -f "$ROOT/usr/include/attune.h"
check "attune-client.h is installed" test -f "$ROOT/usr/include/attune-client.h"
check "libattune.pc is installed" test -f "$LIB/pkgconfig/libattune.pc"
check "attune-client.pc is installed" test -f "$LIB/pkgconfig/attune-client.pc"

export PKG_CONFIG_PATH="$LIB/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$ROOT"
# Under `make asan` the libraries carry the sanitizers: so must the programs.
SAN=""
nm -D -u "$LIB/libattune.so.0" | grep -q __asan_init && SAN="-fsanitize=address,undefined"
cat >"$T_DIR/host.c" <<'C'
#include <attune.h>
#include <stdio.h>
#include <string.h>

/* {"t":"ping","id":1} in msgpack */
static const unsigned char ping[] = { 0x82, 0xa1, 't', 0xa4, 'p', 'i', 'n', 'g', 0xa2, 'i', 'd', 0x01 };

int
main(int argc, char **argv)
{
	struct attune_config cfg;
	struct attune_core *core;
	unsigned char *reply;
	size_t len;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = argc > 1 ? argv[1] : "data";
	if ((r = attune_core_new(&core, &cfg)) != 0) {
		printf("new: %s\n", attune_core_strerror(r));
		return 1;
	}
	r = attune_core_request(core, ping, sizeof(ping), &reply, &len);
	/* {"t":"pong","id":1}: the type string follows the map and key headers */
	printf("request: %d, reply %s\n", r, len > 8 && memcmp(reply + 4, "pong", 4) == 0 ? "pong" : "?");
	attune_free(reply, len);
	printf("state: %d\n", attune_core_state(core));
	attune_core_free(core);
	return 0;
}
C
cc $SAN -o "$T_DIR/host" "$T_DIR/host.c" $(pkg-config --cflags --libs libattune) 2>"$T_DIR/cc.err"; rc=$?
check "a host compiles against the installed attune.h with pkg-config" test "$rc" -eq 0
[ "$rc" -eq 0 ] || head -5 "$T_DIR/cc.err" | sed 's/^/# /' >&2
OUT=$(LD_LIBRARY_PATH="$LIB" "$T_DIR/host" "$T_DIR/data" 2>&1)
check "it runs against the installed libattune.so: ping answers pong" \
	sh -c "printf '%s\n' \"\$1\" | grep -q '^request: 0, reply pong$'" _ "$OUT"
check "a fresh core is not set up" sh -c "printf '%s\n' \"\$1\" | grep -q '^state: 0$'" _ "$OUT"
check "it uses the installed shared library" \
	sh -c "LD_LIBRARY_PATH='$LIB' ldd '$T_DIR/host' | grep -q '$LIB/libattune.so.0'"

cat >"$T_DIR/client.c" <<'C'
#include <attune-client.h>
#include <stdio.h>

int
main(void)
{
	struct attune_client *c;
	int r = attune_connect(&c, "/nonexistent/attuned.sock");

	printf("connect: %s\n", r == 0 ? "ok" : attune_strerror(r));
	return r == 0;
}
C
cc $SAN -o "$T_DIR/client" "$T_DIR/client.c" $(pkg-config --cflags --libs attune-client) 2>"$T_DIR/cc2.err"; rc=$?
check "a client compiles against the installed attune-client.h with pkg-config" test "$rc" -eq 0
[ "$rc" -eq 0 ] || head -5 "$T_DIR/cc2.err" | sed 's/^/# /' >&2
OUT=$(LD_LIBRARY_PATH="$LIB" "$T_DIR/client" 2>&1); rc=$?
check "it runs and reports that no attuned is there" test "$rc" -eq 0
done_testing
