# attune — plain GNU Makefile. Every setting can be overridden on the command
# line or in the environment; README.md lists them all.

PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSTEMDUNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
SYSTEMDUSERUNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemduserunitdir systemd 2>/dev/null || echo /usr/lib/systemd/user)
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

BUILD    ?= build
PKG_CONFIG ?= pkg-config
SOVERSION ?= 0
CC       ?= cc
WERROR   ?=
SANITIZE ?=
FUZZ     ?=
V        ?=
VERSION  ?= 0.1.0
FUZZ_SECONDS ?= 30
VECTORS  ?= tests/vectors

PKGS     := libuv libsodium msgpack sqlite3 libsystemd libqrencode inih libutf8proc libpq
TESTPKGS := cmocka jansson

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DATTUNE_VERSION='"$(VERSION)"' \
            $(WARN) $(if $(WERROR),-Werror) -fPIC \
            $(SANFLAGS) $(CFLAGS) -I. $(PKG_CFLAGS) -MMD -MP
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifneq ($(FUZZ),)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
endif
LDFLAGS  ?=
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(TESTPKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread -lm
TEST_LIBS  = $(shell $(PKG_CONFIG) --libs $(TESTPKGS) 2>/dev/null)

ifeq ($(V),)
Q  := @
QCC = @echo "  CC      $@";
QLD = @echo "  LD      $@";
QAR = @echo "  AR      $@";
else
Q  :=
endif

# Sources are discovered, so adding a module never needs a Makefile edit.
PROTO_SRC  := $(sort $(wildcard proto/*.c))
RELAY_SRC  := $(sort $(wildcard relay/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
CLIB_SRC   := $(sort $(wildcard clients/lib/*.c))
CLI_SRC    := $(sort $(wildcard clients/cli/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TUTIL_SRC  := $(sort $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c)))
TOOL_SRC   := $(sort $(wildcard tests/tools/*.c))
BENCH_SRC  := $(sort $(wildcard bench/*.c))
FUZZ_SRC   := $(sort $(wildcard fuzz/fuzz_*.c))
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBATTUNE  := $(BUILD)/libattune.a
LIBCLIENT  := $(BUILD)/libattune-client.a
RELAY_BIN  := $(BUILD)/attune-relay
DAEMON_BIN := $(BUILD)/attuned
CLI_BIN    := $(BUILD)/attune
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BINS  := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
REPLAY_BINS:= $(patsubst fuzz/%.c,$(BUILD)/replay/%,$(FUZZ_SRC))
FUZZ_BINS  := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))
PROGRAMS   := $(RELAY_BIN) $(DAEMON_BIN) $(CLI_BIN)

.PHONY: libs install-libs all check check-pg asan fuzz fuzz-build bench soak demo deps install uninstall clean \
        test-bins need-deps
.DEFAULT_GOAL := all
# Keep objects that pattern rules build on the way to a binary.
.SECONDARY:

all: $(LIBATTUNE) $(LIBCLIENT) $(PROGRAMS)

# Runs scripts/deps.sh only when pkg-config cannot find a library: check,
# asan, bench, soak and demo depend on it; `make` (all) never installs anything.
need-deps:
	$(Q)$(PKG_CONFIG) --exists $(PKGS) $(TESTPKGS) 2>/dev/null || sh scripts/deps.sh

deps:
	$(Q)sh scripts/deps.sh

# Objects depend on the compiler and flags they were built with: changing
# SANITIZE, FUZZ, CFLAGS or CC in the same BUILD folder rebuilds them.
FLAGS_STAMP := $(BUILD)/cflags.stamp
FLAGS_LINE  := $(CC) $(ALL_CFLAGS)
ifneq ($(FLAGS_LINE),$(file <$(FLAGS_STAMP)))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_STAMP),$(FLAGS_LINE))
endif

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBATTUNE): $(call obj,$(PROTO_SRC))
	@mkdir -p $(dir $@)
	$(QAR)rm -f $@ && ar rcs $@ $^

$(LIBCLIENT): $(call obj,$(CLIB_SRC))
	@mkdir -p $(dir $@)
	$(QAR)rm -f $@ && ar rcs $@ $^

# The one link rule: every program, test, tool, benchmark, example and fuzz
# target is its prerequisites linked with the libraries (EXTRA_LIBS per target).
LINK = $(Q)mkdir -p $(dir $@) $(if $(V),,&& echo "  LD      $@") && \
	$(CC) $(ALL_CFLAGS) $(LINK_FLAGS) -o $@ $(filter %.o %.a,$^) $(LDFLAGS) $(PKG_LIBS) $(EXTRA_LIBS)

$(BUILD)/attune-relay: $(call obj,$(RELAY_SRC)) $(LIBATTUNE)
	$(LINK)
$(BUILD)/attuned: $(call obj,$(DAEMON_SRC)) $(LIBATTUNE)
	$(LINK)
$(BUILD)/attune: $(call obj,$(CLI_SRC)) $(LIBCLIENT) $(LIBATTUNE)
	$(LINK)

# Unit tests may use the relay's, daemon's and client library's modules too
# (everything but their main.c), so a module is tested beside its concept.
NOMAIN = $(call obj,$(filter-out %/main.c,$(1)))
TEST_OBJS = $(call obj,$(TUTIL_SRC)) $(call NOMAIN,$(RELAY_SRC)) \
            $(call NOMAIN,$(DAEMON_SRC)) $(call NOMAIN,$(CLIB_SRC))

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_OBJS) $(LIBATTUNE)
	$(LINK)
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(TEST_OBJS) $(LIBATTUNE)
	$(LINK)
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(TEST_OBJS) $(LIBATTUNE)
	$(LINK)
$(BUILD)/tests/% $(BUILD)/tools/% $(BUILD)/bench/% $(BUILD)/replay/% $(BUILD)/fuzz/%: EXTRA_LIBS = $(TEST_LIBS)

# Examples are hosts of the core: its modules (the daemon's, without main.c) and proto.
$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(call NOMAIN,$(DAEMON_SRC)) $(LIBATTUNE)
	$(LINK)

# ---- the installed libraries: libattune (the core) and libattune-client ----
# Each is its objects (and the proto/ objects they use) linked into one
# relocatable object whose only global symbols are attune_*; the static
# library holds that object, the shared one is built from it with a SONAME and
# the same export list as a version script.
CORE_OBJS    = $(call NOMAIN,$(DAEMON_SRC))
# Linked --as-needed: a library records only what it uses (the .pc files name it).
CORE_LIBS    = -Wl,--as-needed $(PKG_LIBS)
CLIENT_LIBS  = -Wl,--as-needed $(PKG_LIBS)
INSTALL_LIBS = $(foreach l,libattune libattune-client,$(BUILD)/lib/$(l).a $(BUILD)/lib/$(l).so.$(VERSION))

$(BUILD)/lib/libattune.o: $(CORE_OBJS) $(LIBATTUNE)
$(BUILD)/lib/libattune-client.o: $(call obj,$(CLIB_SRC)) $(LIBATTUNE)
$(BUILD)/lib/%.o:
	@mkdir -p $(dir $@)
	$(QLD)$(CC) $(ALL_CFLAGS) -r -nostdlib -o $@.all $(filter %.o,$^) $(filter %.a,$^) && \
	  objcopy -w --keep-global-symbol='attune_*' $@.all $@ && rm -f $@.all
$(BUILD)/lib/%.a: $(BUILD)/lib/%.o
	$(QAR)rm -f $@ && ar rcs $@ $<
$(BUILD)/lib/libattune.so.$(VERSION): EXTRA_LIBS = $(CORE_LIBS)
$(BUILD)/lib/libattune-client.so.$(VERSION): EXTRA_LIBS = $(CLIENT_LIBS)
$(BUILD)/lib/%.so.$(VERSION): $(BUILD)/lib/%.o scripts/exports.map
	$(QLD)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$*.so.$(SOVERSION) \
	  -Wl,--version-script=scripts/exports.map -o $@ $< $(LDFLAGS) $(EXTRA_LIBS)

libs: $(INSTALL_LIBS)

# Corpus replay: the fuzz target with a plain main(), built by the normal
# compiler, so `make check` replays every corpus as a regression test.
$(BUILD)/replay/%: $(BUILD)/obj/fuzz/%.o $(BUILD)/obj/fuzz/replay_main.o $(TEST_OBJS) $(LIBATTUNE)
	$(LINK)
$(BUILD)/fuzz/%: $(BUILD)/obj/fuzz/%.o $(TEST_OBJS) $(LIBATTUNE)
	$(LINK)
$(BUILD)/fuzz/%: LINK_FLAGS = -fsanitize=fuzzer

test-bins: all $(UNIT_BINS) $(TOOL_BINS) $(REPLAY_BINS) $(EXAMPLE_BINS) $(INSTALL_LIBS)

check: need-deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(BUILD) VECTORS=$(VECTORS) sh tests/run.sh

# The relay's suites again with every relay's state in PostgreSQL (a cluster
# each suite starts itself; see tests/e2e/pg.inc).
check-pg: need-deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(BUILD) VECTORS=$(VECTORS) RELAY_BACKEND=postgresql ONLY=relay_ \
	  SUMMARY_FILE=$(BUILD)/check-pg-summary.txt sh tests/run.sh

# Every test again under AddressSanitizer + UndefinedBehaviorSanitizer (LSan on).
asan: need-deps
	$(Q)$(MAKE) --no-print-directory check BUILD=$(BUILD)/asan SANITIZE=1 CFLAGS="-O1 -g"

# libFuzzer needs clang; each target runs FUZZ_SECONDS from its corpus.
fuzz: need-deps
	$(Q)$(MAKE) --no-print-directory fuzz-build BUILD=$(BUILD)/fuzz CC=clang FUZZ=1 CFLAGS="-O1 -g"
	$(Q)BUILD=$(BUILD)/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) sh scripts/fuzz.sh

fuzz-build: $(FUZZ_BINS)

bench: need-deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS) $(TOOL_BINS) $(EXAMPLE_BINS)
	$(Q)BUILD=$(BUILD) sh scripts/bench.sh

# The long kill -9 durability run (100 rounds, 8 senders); make check runs 20.
soak: need-deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)BUILD=$(BUILD) SOAK=1 bash tests/e2e/relay_durability.sh

demo: need-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh scripts/demo.sh

install: all install-libs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSTEMDUSERUNITDIR)
	sed 's|/usr/local/bin/|$(BINDIR)/|g' systemd/attune-relay.service > $(DESTDIR)$(SYSTEMDUNITDIR)/attune-relay.service
	sed 's|/usr/local/bin/|$(BINDIR)/|g' systemd/attuned.service > $(DESTDIR)$(SYSTEMDUSERUNITDIR)/attuned.service
	install -m 0644 systemd/attuned.socket $(DESTDIR)$(SYSTEMDUSERUNITDIR)/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 clients/cli/attune.bash $(DESTDIR)$(BASHCOMPDIR)/attune

# The libraries, their headers and pkg-config files: what an app builds against.
install-libs: $(INSTALL_LIBS)
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 daemon/attune.h clients/lib/attune-client.h $(DESTDIR)$(INCLUDEDIR)/
	for l in libattune libattune-client; do \
	  install -m 0644 $(BUILD)/lib/$$l.a $(DESTDIR)$(LIBDIR)/ && \
	  install -m 0755 $(BUILD)/lib/$$l.so.$(VERSION) $(DESTDIR)$(LIBDIR)/ && \
	  ln -sf $$l.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$$l.so.$(SOVERSION) && \
	  ln -sf $$l.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/$$l.so || exit 1; done
	for pc in daemon/libattune.pc.in clients/lib/attune-client.pc.in; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|;s|@LIBDIR@|$(LIBDIR)|;s|@INCLUDEDIR@|$(INCLUDEDIR)|;s|@VERSION@|$(VERSION)|' \
	    $$pc > $(DESTDIR)$(PKGCONFIGDIR)/$$(basename $$pc .in) || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/attune-relay $(DESTDIR)$(BINDIR)/attuned $(DESTDIR)$(BINDIR)/attune
	rm -f $(DESTDIR)$(MANDIR)/man1/attune.1 $(DESTDIR)$(MANDIR)/man8/attuned.8 $(DESTDIR)$(MANDIR)/man8/attune-relay.8
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/attune-relay.service $(DESTDIR)$(SYSTEMDUSERUNITDIR)/attuned.service $(DESTDIR)$(SYSTEMDUSERUNITDIR)/attuned.socket
	rm -f $(DESTDIR)$(INCLUDEDIR)/attune.h $(DESTDIR)$(INCLUDEDIR)/attune-client.h
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/libattune.pc $(DESTDIR)$(PKGCONFIGDIR)/attune-client.pc
	for l in libattune libattune-client; do \
	  rm -f $(DESTDIR)$(LIBDIR)/$$l.a $(DESTDIR)$(LIBDIR)/$$l.so $(DESTDIR)$(LIBDIR)/$$l.so.$(SOVERSION) \
	    $(DESTDIR)$(LIBDIR)/$$l.so.$(VERSION); done
	rm -f $(DESTDIR)$(BASHCOMPDIR)/attune

clean:
	rm -rf $(BUILD)

# ---- attune-gtk: the GTK 4 / libadwaita app (clients/gtk, issue 12) --------
# Its own block: the app's sources, flags, data files and tests live here.
GTK_PKGS   := gtk4 libadwaita-1
GTK_SRC    := $(sort $(wildcard clients/gtk/*.c))
GTK_BIN    := $(if $(GTK_SRC),$(BUILD)/attune-gtk)
# -isystem: GTK's headers are not held to our warning flags.
GTK_CFLAGS  = $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags $(GTK_PKGS) 2>/dev/null))
GTK_LIBS    = $(shell $(PKG_CONFIG) --libs $(GTK_PKGS) 2>/dev/null)

.PHONY: need-gtk-deps install-gtk uninstall-gtk screenshots bench-gtk

all: $(GTK_BIN)
need-deps: need-gtk-deps
need-gtk-deps:
	$(Q)$(PKG_CONFIG) --exists $(GTK_PKGS) 2>/dev/null || sh scripts/deps.sh

$(call obj,$(GTK_SRC)): ALL_CFLAGS += $(GTK_CFLAGS)

$(BUILD)/attune-gtk: $(call obj,$(GTK_SRC)) $(LIBCLIENT) $(LIBATTUNE)
	$(LINK)
$(BUILD)/attune-gtk: EXTRA_LIBS = $(GTK_LIBS)

# Every main screen at 360x640 and 1280x800, rendered under Xvfb.
screenshots: need-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash scripts/screenshots.sh

# make bench also measures the app: cold start to first frame, idle RSS, wake-ups.
bench: bench-gtk
bench-gtk: need-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash scripts/bench-gtk.sh

install: install-gtk
install-gtk: all
	DESTDIR=$(DESTDIR) BINDIR=$(BINDIR) DATADIR=$(DATADIR) MANDIR=$(MANDIR) \
	  sh scripts/install-gtk.sh $(GTK_BIN)

uninstall: uninstall-gtk
uninstall-gtk:
	rm -f $(DESTDIR)$(BINDIR)/attune-gtk $(DESTDIR)$(DATADIR)/applications/org.attune.Attune.desktop
	rm -f $(DESTDIR)$(DATADIR)/metainfo/org.attune.Attune.metainfo.xml
	rm -f $(DESTDIR)$(DATADIR)/icons/hicolor/scalable/apps/org.attune.Attune.svg
	rm -f $(DESTDIR)$(DATADIR)/icons/hicolor/symbolic/apps/org.attune.Attune-symbolic.svg
	rm -f $(DESTDIR)$(DATADIR)/dbus-1/services/org.attune.Attune.service $(DESTDIR)$(MANDIR)/man1/attune-gtk.1
# ---- end of attune-gtk ------------------------------------------------------

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
