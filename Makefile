# corral: one static musl binary. `make` installs and builds everything it
# needs; `make check` runs the unit and integration tests (as root).

DEPS     := build/deps
CC       := musl-gcc
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
CFLAGS   := -std=c11 -D_GNU_SOURCE -Oz -Wall -Wextra -Werror -MMD -MP \
            -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
            -fno-stack-protector -isystem $(DEPS)/include -Ilib -Iapplets -Ibuild/gen
LDFLAGS  := -static -Wl,--gc-sections -s -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,common-page-size=64 -Wl,--build-id=none
# BearSSL and zlib as linked: copies without unwind tables (.eh_frame, 10
# KB), which nothing in a static C program reads. libseccomp is for the
# build tool and the tests only. musl's libc.a as linked: a copy whose
# functions start anywhere, not on 16 bytes (2 KB of fill between them).
MUSL_LIB ?= /usr/lib/x86_64-linux-musl
LIBS     := build/noeh/libbearssl.a build/noeh/libz.a build/noeh/libc.a
TEST_LIBS := $(DEPS)/lib/libseccomp.a $(LIBS)

LIB_SRC    := $(wildcard lib/*.c)
APPLET_SRC := $(wildcard applets/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=build/obj/%.o)
APPLET_OBJ := $(APPLET_SRC:%.c=build/obj/%.o)
CONFIGS    := $(wildcard configs/*.json)
GEN        := build/gen/applets.inc $(CONFIGS:configs/%.json=build/gen/%.json.h) build/gen/syscalls.h
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=build/test/%)
TOOL_SRC   := $(wildcard tools/*.c)
TOOL_BIN   := $(TOOL_SRC:tools/%.c=build/tools/%)

.PHONY: all check unit integration size bench fuzz clean distclean initramfs check-vm
# Generated headers made by a pattern rule are kept, not deleted as
# intermediates. (Not .SECONDARY for all: a missing object would then not
# be remade.)
.PRECIOUS: build/gen/%.json.h
all: corral

$(DEPS)/.ok: tools/deps.sh
	sh tools/deps.sh $(DEPS)
	touch $@

# The set of applets: rewritten only when a file comes or goes, so that a
# removed applet regenerates the table too.
build/gen/applets.list: FORCE
	@mkdir -p $(@D)
	@echo $(APPLET_SRC) > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

build/gen/applets.inc: tools/mkapplets.sh $(APPLET_SRC) build/gen/applets.list | $(DEPS)/.ok
	@mkdir -p $(@D)
	sh tools/mkapplets.sh $(filter-out applets/main.c,$(APPLET_SRC)) > $@.tmp && mv $@.tmp $@

# configs/NAME.json becomes a C array, embedded at build time, minified.
build/gen/%.json.h: configs/%.json tools/jsonmin.sh
	@mkdir -p $(@D)
	{ echo "static const char $(subst -,_,$*)_json[] = {"; \
	  sh tools/jsonmin.sh $< | od -An -v -tx1 | sed 's/^ *//; s/ *$$//; s/ \+/,0x/g; s/^/0x/; s/$$/,/'; \
	  echo "0 };"; } > $@.tmp && mv $@.tmp $@

# System call numbers for lib/bpf.c, from libseccomp's own table.
build/gen/syscalls.h: tools/syscalls.sh tools/zembed.sh | $(DEPS)/.ok
	@mkdir -p $(@D)
	sh tools/syscalls.sh $(DEPS) > build/gen/syscalls.txt
	sh tools/zembed.sh syscalls build/gen/syscalls.txt > $@.tmp && mv $@.tmp $@

# The built-in seccomp profile, compiled to BPF here once by our own
# compiler (lib/bpf.c): parsing the profile at run time takes milliseconds,
# more than the start-up budget of `corral run`. Its program is about half
# the length of libseccomp's (a search over spans of call numbers), which
# the kernel verifies and JIT-compiles in less time; test_seccomp_oracle
# checks its verdicts against libseccomp's. The program is embedded packed
# by lib/lz.c, whose unpacking needs no state (zlib's first inflate made
# preparing the filter 164 us where this takes 149); the profile, compiled
# at run time only for capabilities it treats otherwise, deflated
# (tools/zembed.sh).
GEN += build/gen/seccomp-default.bpf.h build/gen/seccomp-default.json.z.h
SECCOMP_BPF_SRC := tools/seccomp-bpf.c lib/seccomp.c lib/bpf.c lib/json.c lib/caps.c lib/util.c lib/lz.c
build/gen/seccomp-default.bpf.h: $(SECCOMP_BPF_SRC) lib/seccomp.h lib/bpf.h lib/lz.h build/gen/seccomp-default.json.z.h \
		build/gen/syscalls.h | $(DEPS)/.ok
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -DSECCOMP_NO_PRECOMPILED -static -o build/gen/seccomp-bpf \
		$(SECCOMP_BPF_SRC) $(DEPS)/lib/libz.a
	build/gen/seccomp-bpf > $@.tmp && mv $@.tmp $@
build/gen/seccomp-default.json.z.h: configs/seccomp-default.json tools/jsonmin.sh tools/zembed.sh
	@mkdir -p $(@D)
	sh tools/jsonmin.sh $< > build/gen/seccomp-default.min.json
	sh tools/zembed.sh seccomp_default_json build/gen/seccomp-default.min.json > $@.tmp && mv $@.tmp $@

build/obj/%.o: %.c $(GEN) | $(DEPS)/.ok
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# Only main.c sees the version, and only a new version rebuilds it.
build/gen/version.h: FORCE
	@mkdir -p $(@D)
	@echo '#define CORRAL_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
build/obj/applets/main.o: build/gen/version.h
FORCE:

build/noeh/%.a: | $(DEPS)/.ok
	@mkdir -p $(@D)
	objcopy -R .eh_frame $(DEPS)/lib/$*.a $@

build/noeh/libc.a: | $(DEPS)/.ok
	@mkdir -p $(@D)
	objcopy --set-section-alignment '.text*=1' $(MUSL_LIB)/libc.a $@

build/lib.a: $(LIB_OBJ)
	rm -f $@; ar rcs $@ $^

corral: $(APPLET_OBJ) build/lib.a build/gen/applets.list $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(APPLET_OBJ) build/lib.a $(LIBS)

build/test/%: tests/unit/%.c tests/unit/t.h build/lib.a $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -static -o $@ $< build/lib.a $(TEST_LIBS)

build/tools/%: tools/%.c build/lib.a $(LIBS) | $(DEPS)/.ok
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wl,--gc-sections -static -o $@ $< build/lib.a $(LIBS)

unit: $(UNIT_BIN)
integration: corral

check: corral $(UNIT_BIN) $(TOOL_BIN)
	sh tests/deps.sh
	CORRAL=$(CURDIR)/corral tests/run

size: corral
	CC='$(CC)' CFLAGS='$(CFLAGS)' LDFLAGS='$(LDFLAGS)' APPLET_OBJ='$(APPLET_OBJ)' \
	LIBS='$(LIBS)' sh tools/size.sh

bench: corral $(TOOL_BIN)
	sh tools/bench.sh

fuzz:
	sh tests/fuzz/run.sh

# KERNEL=VERSION|PATH and BOOT_CONFIG=FILE: see tools/initramfs.sh.
initramfs: corral build/tools/mkcpio
	sh tools/initramfs.sh

# Also part of `make check` (tests/integration/90-vm.sh).
check-vm: corral build/tools/mkcpio
	sh tools/check-vm.sh

clean:
	rm -rf build/obj build/gen build/test build/tools build/lib.a corral
distclean:
	rm -rf build corral

-include $(wildcard build/obj/*/*.d)
