# kvmtune — build, test, install.  See README.md.
PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
LIBDIR_KV   ?= $(PREFIX)/lib/kvmtune
MANDIR      ?= $(PREFIX)/share/man
PKG_CONFIG  ?= pkg-config
CC          ?= cc

# pkg-config decides where systemd, udev and dracut want their files.
SYSTEMDUNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),$(PREFIX)/lib/systemd/system)
UDEVDIR        ?= $(or $(shell $(PKG_CONFIG) --variable=udevdir udev 2>/dev/null),$(PREFIX)/lib/udev)
DRACUTDIR      ?= $(or $(shell $(PKG_CONFIG) --variable=dracutmodulesdir dracut 2>/dev/null),$(PREFIX)/lib/dracut/modules.d)
BASHCOMPDIR    ?= $(or $(shell $(PKG_CONFIG) --variable=completionsdir bash-completion 2>/dev/null),$(PREFIX)/share/bash-completion/completions)

LIBS_PC     := libkmod mount inih
PC_CFLAGS    = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
# libinih is linked statically where its archive is installed (libinih-dev
# has it): one shared object less to map and relocate at every start, which
# is most of a small apply's time.  INIH_SHARED=1 links the shared one.
INIH_A      := $(wildcard $(shell $(PKG_CONFIG) --variable=libdir inih 2>/dev/null)/libinih.a)
ifeq ($(if $(INIH_SHARED),,$(INIH_A)),)
PC_LIBS      = $(shell $(PKG_CONFIG) --libs inih 2>/dev/null)
else
PC_LIBS      = $(INIH_A)
endif

WARN        := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wwrite-strings \
               -Wno-unused-parameter -Wmissing-prototypes
ifeq ($(SANITIZE),1)
OPT         := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN       := -fsanitize=address,undefined
else
OPT         := -O2 -g -D_FORTIFY_SOURCE=2
endif
HARDEN      := -fstack-protector-strong -fPIE -fstack-clash-protection
CFLAGS      ?=
CFLAGS      += $(WARN) $(OPT) $(HARDEN) $(PC_CFLAGS)
CFLAGS      += -DKVMTUNE_FULL='"$(LIBDIR_KV)/kvmtune-full"'
LDFLAGS     += -Wl,-z,relro,-z,now -Wl,--as-needed $(LDSAN)

# kvmtune is a static PIE and kvmtune-full the same program linked
# dynamically: the static one starts without the dynamic loader and runs
# kvmtune-full for a configuration that needs libkmod or libmount (see
# src/linkage.c).  STATIC=0 links kvmtune dynamically too; so do sanitizer
# builds, and a system without libinih.a.
STATIC      ?= $(if $(filter 1,$(SANITIZE)),0,$(if $(INIH_SHARED),0,$(if $(INIH_A),1,0)))
LINK_KV     := $(if $(filter 1,$(STATIC)),-static-pie,-pie)

# Objects are rebuilt when the flags change (SANITIZE=1, CC=clang, ...).
FLAGS_STAMP := .flags-$(shell echo '$(CC) $(CFLAGS) $(LDFLAGS) $(LINK_KV)' | md5sum | cut -c1-10)

SRC_LIB     := $(filter-out src/main.c,$(wildcard src/*.c src/sections/*.c src/import/*.c))
OBJ_LIB     := $(SRC_LIB:.c=.o)
DRACUT_FILES = $(wildcard dracut/90kvmtune/*.sh)
TESTS       := $(patsubst %.c,%,$(wildcard tests/test_*.c))

all: kvmtune kvmtune-full

$(FLAGS_STAMP):
	@rm -f .flags-*; touch $@

src/%.o: src/%.c src/kvmtune.h $(wildcard src/*.h) $(FLAGS_STAMP)
	$(CC) $(CFLAGS) -c -o $@ $<

$(patsubst %.c,%.o,$(wildcard src/import/*.c)): $(wildcard src/import/*.h)

libkvmtune.a: $(OBJ_LIB)
	$(AR) rcs $@ $^

# glibc's linker warnings for a static link (dlopen, getpwnam) are about
# code that only kvmtune-full runs (src/linkage.c); they are filtered out.
kvmtune: src/main.o libkvmtune.a $(FLAGS_STAMP)
	@echo "$(CC) $(LINK_KV) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(PC_LIBS) -ldl"
	@rm -f $@; $(CC) $(LINK_KV) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(PC_LIBS) -ldl 2>&1 | \
		{ grep -v -e 'in statically linked applications requires at runtime' -e ": in function \`" >&2 || true; }; \
		test -x $@

kvmtune-full: src/main.o libkvmtune.a
	$(CC) -pie $(LDFLAGS) -o $@ $^ $(PC_LIBS) -ldl

tests/test_memory: TEST_LDFLAGS = -Wl,--wrap=kernfs_write
tests/test_isolation: TEST_LDFLAGS = -Wl,--wrap=kernfs_write
tests/test_timeout: TEST_LDFLAGS = -Wl,--wrap=pwrite,--wrap=pread
tests/test_typed_keys: TEST_LDFLAGS = -Wl,--wrap=kernfs_write
tests/test_faults: TEST_LDFLAGS = -Wl,--wrap=kernfs_write,--wrap=fsync,--wrap=renameat,--wrap=syscall
tests/test_ksm_tick: TEST_LDFLAGS = -Wl,--wrap=syscall,--wrap=openat,--wrap=dlopen,--wrap=readlinkat
tests/test_exact: TEST_LDFLAGS = -Wl,--wrap=kernfs_write,--wrap=pread,--wrap=write,--wrap=fdatasync,--wrap=reallocarray

tests/%: tests/%.c tests/helpers.c tests/helpers.h libkvmtune.a
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Isrc -o $@ $< tests/helpers.c libkvmtune.a \
		-pie $(LDFLAGS) $(TEST_LDFLAGS) $(PC_LIBS) $(shell $(PKG_CONFIG) --libs cmocka) -ldl

deps:
	@.ci/install-deps build

check:
	@.ci/install-deps build test fleet
	@$(MAKE) --no-print-directory kvmtune kvmtune-full $(TESTS)
	@KVMTUNE=$(CURDIR)/kvmtune E2E=$(if $(filter 1,$(SANITIZE)),,1) tests/run $(TESTS)

run: deps kvmtune kvmtune-full
	@chmod go-w conf.d conf.d/*.conf   # kvmtune refuses group/other-writable config as root
	@if [ "$$(id -u)" = 0 ]; then ./kvmtune apply --config-dir conf.d; \
	 else echo "not root: showing the plan only"; ./kvmtune plan --config-dir conf.d; fi

# The cmocka binaries alone (a fake root: no root needed; the package's build-time test).
check-unit: kvmtune $(TESTS)
	@KVMTUNE=$(CURDIR)/kvmtune UNIT_ONLY=1 tests/run $(TESTS)

# The fake-root suite with every kvmtune run (and each cmocka binary) under valgrind.
valgrind:
	@.ci/install-deps build test valgrind
	@$(MAKE) --no-print-directory kvmtune kvmtune-full $(TESTS)
	@KVMTUNE=$(CURDIR)/tests/valgrind-kvmtune UNIT_ONLY=1 \
		VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
		tests/run $(TESTS)

# libFuzzer over config parsing and planning on a fake root (clang; see fuzz/fuzz_config.c).
FUZZ_SECONDS ?= 600
FUZZ_CC      ?= clang
fuzz/fuzz_config: fuzz/fuzz_config.c fuzz/fuzz_tree.h $(SRC_LIB) src/kvmtune.h $(wildcard src/*.h src/sections/*.h)
	$(FUZZ_CC) $(WARN) -O1 -g -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(PC_CFLAGS) -Isrc \
		-o $@ fuzz/fuzz_config.c $(SRC_LIB) $(PC_LIBS) -ldl

# The readers of `kvmtune import`, above all rc.local's shell reader (see fuzz/fuzz_shell.c).
fuzz/fuzz_shell: fuzz/fuzz_shell.c fuzz/fuzz_tree.h $(SRC_LIB) src/kvmtune.h $(wildcard src/import/*.h) $(wildcard src/*.h src/sections/*.h)
	$(FUZZ_CC) $(WARN) -O1 -g -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(PC_CFLAGS) -Isrc \
		-o $@ fuzz/fuzz_shell.c $(SRC_LIB) $(PC_LIBS) -ldl

fuzz: fuzz/fuzz_config fuzz/fuzz_shell
	@mkdir -p fuzz/corpus fuzz/corpus-shell
	fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 -max_len=8192 \
		-dict=fuzz/kvmtune.dict fuzz/corpus tests/fuzz-corpus
	fuzz/fuzz_shell -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 -max_len=8192 \
		-dict=fuzz/shell.dict fuzz/corpus-shell tests/fuzz-corpus-shell

# Boot Debian's kernel under qemu with the dracut module and a test config
# (root; installs qemu and dracut-core when missing; see tests/e2e/run.sh).
e2e: kvmtune kvmtune-full
	@tests/e2e/run.sh

# Timings against procps sysctl, systemd-sysctl and TuneD on the real kernel
# (root; installs hyperfine and the peers when missing; see bench/README.md).
# Not part of `make check`: timings are never test assertions.
bench: kvmtune kvmtune-full
	@bench/run.sh

# The Debian package, built from this tree (debian/; needs dpkg-dev and
# debhelper, installed when missing and root): ../kvmtune_VERSION_ARCH.deb.
# It fails when the build changes a file git sees, or when lintian -EvIL
# +pedantic prints a tag (debian/README.source).
DEB_TOOLS   := dpkg-dev debhelper lintian libcmocka-dev
deb:
	@.ci/install-deps build
	@missing=; for p in $(DEB_TOOLS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	 if [ -n "$$missing" ]; then \
		[ "$$(id -u)" = 0 ] || { echo "kvmtune: missing packages:$$missing (run as root to install them)" >&2; exit 1; }; \
		echo "installing:$$missing"; apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; fi
	@st=$$(mktemp); git status --porcelain --untracked-files=all > $$st 2> /dev/null; \
	 echo "dpkg-buildpackage -us -uc -b"; dpkg-buildpackage -us -uc -b || { rm -f $$st; exit 1; }; \
	 if git rev-parse --git-dir > /dev/null 2>&1 && ! git status --porcelain --untracked-files=all | cmp -s - $$st; then \
		echo "kvmtune: the build changed the tree (git status before, after):" >&2; \
		git status --porcelain --untracked-files=all | diff $$st - >&2; rm -f $$st; exit 1; fi; rm -f $$st
	@changes=../kvmtune_$$(dpkg-parsechangelog -S Version)_$$(dpkg-architecture -qDEB_HOST_ARCH).changes; \
	 echo "lintian -EvIL +pedantic $$changes"; \
	 out=$$(lintian -EvIL +pedantic --tag-display-limit 0 $$changes 2>&1); \
	 tags=$$(echo "$$out" | grep -E '^[EWIPXC]: '); \
	 if [ -n "$$tags" ]; then echo "$$tags"; echo "kvmtune: lintian is not clean (see debian/README.source)" >&2; exit 1; fi; \
	 echo "lintian: no tag"

# A real boot of that package: a minimal Debian 12 root with the .deb
# installed, booted with systemd and udev under qemu (root; installs what it
# needs with apt-get; see tests/boot/run.sh).  Not part of `make check`.
boot-e2e: deb
	@tests/boot/run.sh

# Boots through GRUB: a Debian 12 disk image with grub-pc and the .deb,
# [cmdline] written into GRUB's drop-in, rebooted; and the hugepage pools at
# the initramfs stage (root; its own cache, /var/tmp/kvmtune-boot-grub; see
# tests/boot-grub/run.sh).  Not part of `make check`.
boot-grub: deb
	@tests/boot-grub/run.sh

# [isolation] cpus = 2-3 through a reboot on 4 vCPUs (the boot-grub image; see
# tests/boot-isolation/run.sh).  Not part of `make check`.
boot-isolation: deb
	@tests/boot-isolation/run.sh

install: kvmtune kvmtune-full
	install -D -m 0755 kvmtune $(DESTDIR)$(SBINDIR)/kvmtune
	install -D -m 0755 kvmtune-full $(DESTDIR)$(LIBDIR_KV)/kvmtune-full
	install -d -m 0755 $(DESTDIR)$(LIBDIR_KV)/conf.d
	install -m 0644 conf.d/*.conf $(DESTDIR)$(LIBDIR_KV)/conf.d/
	install -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(UDEVDIR)/rules.d
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/kvmtune.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/kvmtune.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/kvmtune-ksm.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/kvmtune-ksm.service
	install -m 0644 systemd/kvmtune-ksm.timer $(DESTDIR)$(SYSTEMDUNITDIR)/kvmtune-ksm.timer
	sed 's|@SBINDIR@|$(SBINDIR)|g' udev/81-kvmtune.rules.in > $(DESTDIR)$(UDEVDIR)/rules.d/81-kvmtune.rules
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/kvmtune.service $(DESTDIR)$(SYSTEMDUNITDIR)/kvmtune-ksm.service \
		$(DESTDIR)$(UDEVDIR)/rules.d/81-kvmtune.rules
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/kvmtune-verify.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/kvmtune-verify.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/kvmtune-verify.service
	install -m 0644 systemd/kvmtune-verify.timer $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -D -m 0644 completion/kvmtune.bash $(DESTDIR)$(BASHCOMPDIR)/kvmtune
	install -d -m 0755 $(DESTDIR)$(DRACUTDIR)/90kvmtune
	$(if $(DRACUT_FILES),install -m 0755 $(DRACUT_FILES) $(DESTDIR)$(DRACUTDIR)/90kvmtune/)
	install -D -m 0644 conf.d/60-virtual-host.conf.example \
		$(DESTDIR)$(PREFIX)/share/doc/kvmtune/examples/60-virtual-host.conf.example
	install -D -m 0644 man/kvmtune.8 $(DESTDIR)$(MANDIR)/man8/kvmtune.8
	install -D -m 0644 man/kvmtune.conf.5 $(DESTDIR)$(MANDIR)/man5/kvmtune.conf.5

clean:
	rm -f kvmtune kvmtune-full libkvmtune.a src/*.o src/sections/*.o src/import/*.o $(TESTS) fuzz/fuzz_config fuzz/fuzz_shell .flags-*

.PHONY: all deps check check-unit run install clean valgrind e2e fuzz bench deb boot-e2e boot-grub boot-isolation
