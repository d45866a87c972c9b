#!/bin/sh
# Generates the kernel's embedded symbol table (assembly for the .ksyms
# section, read by kernel/ksyms.c) from a linked kernel image: every
# function symbol in .text, sorted by address.
# Usage: tools/gen-ksyms.sh KERNEL_ELF > ksyms.S   (empty table without argument)
set -eu
NM=${NM:-nm}

if [ $# -eq 0 ]; then
	syms=""
else
	syms=$("$NM" -n --defined-only "$1" | awk '$2 ~ /^[tTwW]$/ && $1 ~ /^ffffffff8/ && $3 !~ /^_text_/ { print $1, $3 }' | sort -u -k1,1)
fi

echo '	.section .ksyms, "a"'
echo '	.balign 8'
echo '	.globl ksyms_count, ksyms_addresses, ksyms_name_offsets, ksyms_names'
printf 'ksyms_count:\n	.quad %d\n' "$(printf '%s' "$syms" | grep -c . || true)"
echo 'ksyms_addresses:'
printf '%s\n' "$syms" | awk 'NF == 2 { print "\t.quad 0x" $1 }'
echo 'ksyms_name_offsets:'
printf '%s\n' "$syms" | awk 'NF == 2 { print "\t.long " off; off += length($2) + 1 }' off=0
echo 'ksyms_names:'
printf '%s\n' "$syms" | awk 'NF == 2 { print "\t.asciz \"" $2 "\"" }'
