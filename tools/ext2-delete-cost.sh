#!/bin/sh
# What creating and deleting files costs on ext2, in the guest's own time.
#
#   tools/ext2-delete-cost.sh [KERNEL_ELF ...]
#
# Boots each kernel (default build/axolotl.elf) with a fresh 600 MB ext2
# disk (4 KiB blocks) and prints, from /proc/uptime: 2000 one-line files
# created then `sync`; `rm -r` of them then `sync`; `rm` of a 256 MiB file
# then `sync`; and how long after that rm df shows the space back; then
# bcache_passes (write-back passes of the block cache, /proc/axolotl/stats).
# docs/ext2.md ("Power cuts in the middle of a write-back") quotes it.
# Guest times under TCG depend on the host: name its CPU with a figure.
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- build/axolotl.elf
img=$(mktemp /tmp/ext2-delete-cost.XXXXXX)
trap 'rm -f "$img"' EXIT
script='up() { cut -d" " -f1 /proc/uptime; }
used() { df /mnt | awk "NR==2 {print \$3}"; }
cd /mnt; u0=$(used); a=$(up)
mkdir d; i=0; while [ $i -lt 2000 ]; do echo x > d/f$i; i=$((i+1)); done; sync; b=$(up)
rm -r d; sync; c=$(up)
dd if=/dev/zero of=big bs=1M count=256 2>/dev/null; sync; d=$(up)
rm big; sync; e=$(up)
n=0; while [ $(used) -gt $((u0 + 64)) ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; f=$(up)
echo "create-2000+sync $(awk "BEGIN {print $b - $a}") s, rm-r-2000+sync $(awk "BEGIN {print $c - $b}") s," \
	"rm-256M+sync $(awk "BEGIN {print $e - $d}") s, space-back-after $(awk "BEGIN {print $f - $d}") s"
grep bcache_passes /proc/axolotl/stats'
for kernel in "$@"; do
	mke2fs -q -F -t ext2 -b 4096 "$img" 600M
	printf '%s: ' "$kernel"
	./axl run --quiet --no-build --kernel "$kernel" --disk "$img" --timeout 280 -- \
		/bin/sh -c "$script" 2>&1 | grep -E "^create-|^bcache_passes" | tr '\n' ' '
	echo
done
