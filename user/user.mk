# User programs (included by the top Makefile): static musl binaries built
# with Debian's musl-gcc.
#
#   user/init/init.c   -> $(BUILD)/user/init            (/sbin/init in the guest)
#   user/tests/NAME.c  -> $(BUILD)/user/tests/NAME      (/tests/NAME)
#   user/lib/*.c       linked into every test program
#   USER_PIE_TESTS     also built as static-PIE: $(BUILD)/user/tests/NAME-pie
#   USER_GLIBC_TESTS   also linked with glibc: $(BUILD)/user/tests/NAME-glibc
#   USER_DYN_TESTS     also dynamic PIE: $(BUILD)/user/tests/NAME-dyn, whose interpreter is
#                      musl's loader, copied to $(BUILD)/user/tests/ld-musl-x86_64.so.1
#   user/bench/bench.c -> $(BUILD)/user/bench/bench     (the microbenchmarks)
#   user/bench/benchinit.c -> $(BUILD)/user/bench/benchinit (init of ./axl bench's initramfs)
#
# `make user` builds them; `make initramfs` writes $(BUILD)/initramfs.cpio
# (the default content, no command: init, busybox and its applet links, the
# test programs, the shell scripts of tests/shell) with tools/mkinitramfs.

UCC := musl-gcc
UCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIE -MMD -MP -Iuser/lib
# Debian's musl-gcc.specs knows -static but not -static-pie: give the
# static-PIE start files and linker options by hand (rcrt1.o relocates
# the program at startup; no PT_INTERP).
MUSL_LIBDIR ?= /usr/lib/x86_64-linux-musl/
UPIE_LDFLAGS = -static-pie -nostartfiles -Wl,-static,-pie,--no-dynamic-linker,-z,text
UPIE_START = $(MUSL_LIBDIR)rcrt1.o $(MUSL_LIBDIR)crti.o $(shell $(UCC) -print-file-name=crtbeginS.o)
UPIE_END = $(shell $(UCC) -print-file-name=crtendS.o) $(MUSL_LIBDIR)crtn.o

USER_TEST_NAMES := $(patsubst user/tests/%.c,%,$(wildcard user/tests/*.c))
USER_PIE_TESTS := $(filter hello exec mm clone aslr coredump,$(USER_TEST_NAMES))
USER_DYN_TESTS := $(filter aslr,$(USER_TEST_NAMES))
USER_DYN_LOADER := /tests/ld-musl-x86_64.so.1
# Also linked against glibc (gcc -static), the other C library programs use.
USER_GLIBC_TESTS := $(filter hello proc clone mm futex time misc files smp_stress ptys posix_timers creds,$(USER_TEST_NAMES))
USER_LIB_OBJS := $(patsubst user/lib/%.c,$(BUILD)/user/obj/lib/%.o,$(wildcard user/lib/*.c))
USER_TESTS := $(addprefix $(BUILD)/user/tests/,$(USER_TEST_NAMES)) \
	$(addprefix $(BUILD)/user/tests/,$(addsuffix -pie,$(USER_PIE_TESTS))) \
	$(addprefix $(BUILD)/user/tests/,$(addsuffix -glibc,$(USER_GLIBC_TESTS))) \
	$(addprefix $(BUILD)/user/tests/,$(addsuffix -dyn,$(USER_DYN_TESTS))) \
	$(BUILD)$(subst /tests/,/user/tests/,$(USER_DYN_LOADER))
USER_INIT := $(BUILD)/user/init
USER_BENCH := $(BUILD)/user/bench/bench $(BUILD)/user/bench/benchinit
USER_BINS := $(USER_INIT) $(USER_TESTS) $(USER_BENCH)
USER_OBJS := $(USER_LIB_OBJS) $(BUILD)/user/obj/init/init.o \
	$(patsubst %,$(BUILD)/user/obj/tests/%.o,$(USER_TEST_NAMES)) $(BUILD)/user/obj/bench/bench.o \
	$(BUILD)/user/obj/bench/benchinit.o
INITRAMFS := $(BUILD)/initramfs.cpio

.PHONY: user initramfs
user: $(USER_BINS)
initramfs: $(INITRAMFS)

$(BUILD)/user/obj/%.o: user/%.c | $(BUILD)/.tools-ok
	$(Q)mkdir -p $(dir $@)
	@echo "  MUSLCC  $<"
	$(Q)$(UCC) $(UCFLAGS) -c $< -o $@

$(USER_INIT): $(BUILD)/user/obj/init/init.o
	$(Q)$(UCC) -static -o $@ $^

$(BUILD)/user/tests/%-glibc: user/tests/%.c $(wildcard user/lib/*.c user/lib/*.h) | $(BUILD)/.tools-ok
	$(Q)mkdir -p $(dir $@)
	@echo "  GLIBCC  $@"
	$(Q)gcc -std=gnu11 -O2 -g -Wall -Wextra -Iuser/lib -static -o $@ $< $(wildcard user/lib/*.c) -lpthread

$(BUILD)/user/tests/%-pie: $(BUILD)/user/obj/tests/%.o $(USER_LIB_OBJS)
	$(Q)mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(UCC) $(UPIE_LDFLAGS) -o $@ $(UPIE_START) $^ $(UPIE_END)

# Dynamic: musl's libc.so is also its loader (it resolves "libc.so" to itself).
$(BUILD)/user/tests/%-dyn: $(BUILD)/user/obj/tests/%.o $(USER_LIB_OBJS)
	$(Q)mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(UCC) -pie -Wl,--dynamic-linker=$(USER_DYN_LOADER) -o $@ $^

$(BUILD)$(subst /tests/,/user/tests/,$(USER_DYN_LOADER)): $(MUSL_LIBDIR)libc.so
	$(Q)mkdir -p $(dir $@)
	$(Q)cp $< $@

$(BUILD)/user/tests/%: $(BUILD)/user/obj/tests/%.o $(USER_LIB_OBJS)
	$(Q)mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(UCC) -static -o $@ $^ -lpthread

$(BUILD)/user/bench/%: $(BUILD)/user/obj/bench/%.o
	$(Q)mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(UCC) -static -o $@ $^ -lpthread

$(INITRAMFS): $(USER_BINS) tools/mkinitramfs $(wildcard tests/shell/*)
	@echo "  CPIO    $@"
	$(Q)tools/mkinitramfs --build $(BUILD) -o $@

.SECONDARY: $(USER_OBJS)
-include $(USER_OBJS:.o=.d)
