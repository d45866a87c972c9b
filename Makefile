# Axolotl build. `make` builds the kernel image, `make run` boots it in
# QEMU with the root file system on the ext2 disk build/disk.img (made
# from the default root content when absent; `make newdisk` makes a fresh
# one), `make test` runs every test tier. Missing tools are installed by
# tools/setup.sh (Debian packages) the first time they are needed.

BUILD ?= build
DEBUG ?= 1
# The lock checker (include/kernel/lockcheck.h): on in the debug build that the
# tests run, off in the benchmarks' release build.
LOCKCHECK ?= $(DEBUG)
CC := gcc
LD := ld
Q := @

KERNEL := $(BUILD)/axolotl.elf
DISK_IMG := $(BUILD)/disk.img

KCFLAGS := -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -O2 -g \
	-Wall -Wextra -Werror -MMD -MP -Iinclude -DCONFIG_DEBUG=$(DEBUG) \
	-DCONFIG_LOCKCHECK=$(LOCKCHECK)
KLDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	-T arch/x86_64/kernel.ld

KSRCS := $(wildcard arch/x86_64/*.c arch/x86_64/*.S kernel/*.c mm/*.c lib/*.c drivers/*.c \
	fs/*.c fs/ext2/*.c svc/*.c sys/*.c net/*.c tests/kernel/*.c)
KOBJS := $(patsubst %,$(BUILD)/k/%.o,$(KSRCS))

# Host unit tests: portable kernel code built for the host with sanitizers.
HCFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Iinclude
UNIT_SRCS := lib/string.c lib/printf.c lib/bitmap.c lib/errseq.c mm/buddy.c mm/page.c mm/slab.c \
	mm/tlb_batch.c \
	kernel/cmdline.c kernel/elf.c kernel/exec_stack.c mm/vm_area.c fs/cpio.c fs/path.c \
	$(filter-out fs/ext2/io.c,$(wildcard fs/ext2/*.c)) svc/msg.c svc/fault_inject.c \
	$(wildcard tests/unit/test_*.c) tests/unit/kernel_shim.c tests/unit/ext2_host_io.c \
	tests/unit/ext2_util.c
UNIT_OBJS := $(patsubst %,$(BUILD)/unit/%.o,$(UNIT_SRCS))
UNIT_BIN := $(BUILD)/unit/unit-tests

FORMAT_FILES = $(shell git ls-files '*.c' '*.h')

.PHONY: all kernel run newdisk test smp-test unit-test format format-check clean tools debroot soak
all: kernel user
kernel: $(KERNEL)

# User programs and the initramfs: user, initramfs, USER_BINS.
include user/user.mk

tools: $(BUILD)/.tools-ok
$(BUILD)/.tools-ok: tools/setup.sh
	$(Q)mkdir -p $(BUILD)
	$(Q)tools/setup.sh
	$(Q)touch $@

$(BUILD)/k/%.c.o: %.c | $(BUILD)/.tools-ok
	$(Q)mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.S.o: %.S | $(BUILD)/.tools-ok
	$(Q)mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

# Two links: the first gives the function addresses for the symbol table,
# the second embeds it after all code, so no function moves.
$(BUILD)/ksyms-empty.S: tools/gen-ksyms.sh
	$(Q)mkdir -p $(BUILD)
	$(Q)tools/gen-ksyms.sh > $@

$(BUILD)/%.o: $(BUILD)/%.S
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/axolotl.pass1: $(KOBJS) $(BUILD)/ksyms-empty.o arch/x86_64/kernel.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms-empty.o

$(BUILD)/ksyms.S: $(BUILD)/axolotl.pass1 tools/gen-ksyms.sh
	$(Q)tools/gen-ksyms.sh $< > $@

$(KERNEL): $(BUILD)/axolotl.pass1 $(BUILD)/ksyms.o tools/check-image.sh
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms.o
	$(Q)tools/check-image.sh $@ $(BUILD)/axolotl.pass1

$(BUILD)/unit/tests/unit/harness.c.o: tests/unit/harness.c
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(HCFLAGS) -c $< -o $@

$(BUILD)/unit/%.c.o: %.c
	$(Q)mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(CC) $(HCFLAGS) -MMD -MP -include tests/unit/host_rename.h -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJS) $(BUILD)/unit/tests/unit/harness.c.o
	$(Q)$(CC) $(HCFLAGS) -o $@ $^

unit-test: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

# The root disk is made once: files written in the guest stay on it, and
# newer programs of the build reach it only through `make newdisk`.
run: $(KERNEL) $(USER_BINS) | $(DISK_IMG)
	$(Q)./axl run --no-build --smp 2 --root $(DISK_IMG)

$(DISK_IMG): | $(USER_BINS)
	@echo "  MKE2FS  $@"
	$(Q)tools/mkrootdisk --build $(BUILD) -o $@

newdisk: $(USER_BINS)
	@echo "  MKE2FS  $(DISK_IMG)"
	$(Q)tools/mkrootdisk --build $(BUILD) -o $(DISK_IMG)

# make test: every tier, then the kernel tier and every system test but the
# long stress runs again at 4 CPUs (tools/run-tests: SMP_SKIP); make smp-test:
# the kernel tier and the whole system tier at 4 CPUs.
test: $(KERNEL) $(UNIT_BIN) $(USER_BINS) debroot
	$(Q)tools/run-tests

smp-test: $(KERNEL) $(USER_BINS) debroot
	$(Q)tools/run-tests --smp 4 kernel system

# The Debian root of the fuzz and stress runs (mmdebstrap; cached in build/debian).
debroot: $(USER_BINS)
	$(Q)python3 tools/debroot.py --image >/dev/null

# Long runs, not in make test: a million trinity calls.
soak: $(KERNEL) $(USER_BINS) debroot
	$(Q)./axl fuzz --no-build --calls 1000000 --seed 1 --log $(BUILD)/debian/soak.log

format:
	$(Q)clang-format -i $(FORMAT_FILES)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)

-include $(KOBJS:.o=.d) $(UNIT_OBJS:.o=.d)
