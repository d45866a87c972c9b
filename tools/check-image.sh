#!/bin/sh
# Checks a linked kernel image for what the boot path relies on:
#  - the Multiboot header uses the address fields, so the loader copies the
#    file linearly: each loadable segment's file offset minus the first
#    one's must equal its physical address minus the first one's;
#  - the text symbols did not move between the two links (ksyms).
# Usage: tools/check-image.sh KERNEL_ELF [FIRST_PASS_ELF]
set -eu
elf=$1
first=""
readelf -lW "$elf" | while read -r type off va pa fsz rest; do
	[ "$type" = LOAD ] || continue
	[ $((fsz)) -ne 0 ] || continue
	if [ -z "$first" ]; then
		first=1 off0=$((off)) pa0=$((pa))
	elif [ $((off - off0)) -ne $((pa - pa0)) ]; then
		echo "check-image: segment at $pa is not linear in the file" >&2
		exit 1
	fi
done
if [ $# -ge 2 ]; then
	a=$(nm -n --defined-only "$2" | awk '$2 ~ /^[tT]$/')
	b=$(nm -n --defined-only "$elf" | awk '$2 ~ /^[tT]$/')
	if [ "$a" != "$b" ]; then
		echo "check-image: text symbols moved between the two links" >&2
		exit 1
	fi
fi
