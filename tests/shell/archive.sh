# Archives, checksums and bytes: tar, gzip/gunzip/zcat, md5sum, sha256sum,
# sha1sum, dd, od, hexdump, xxd, cmp, on data the script makes.
export TZ=UTC0
umask 022
cd "${TMPDIR:-/tmp}" && mkdir "archive.$$" && cd "archive.$$" || exit 99

mkdir -p src/sub
seq 1 5000 > src/numbers
printf 'hello, world\n' > src/hello
printf '\000\001\002\377binary\n' > src/sub/bin
yes 'repeated line' | head -n 2000 > src/sub/repeated
ln -s ../hello src/sub/link
touch -d '2022-02-22 22:22:22' src/numbers src/hello src/sub/bin src/sub/repeated
touch -h -d '2022-02-22 22:22:22' src/sub/link 2>/dev/null
echo "== md5sum, sha1sum, sha256sum"
md5sum src/numbers src/hello src/sub/bin
sha1sum src/hello
sha256sum src/numbers src/hello
md5sum src/hello > sums; md5sum -c sums
printf 'tampered\n' >> src/hello; md5sum -c sums 2>&1; echo "check after a change: $?"
printf 'hello, world\n' > src/hello; touch -d '2022-02-22 22:22:22' src/hello
echo -n "" | md5sum
seq 1 100000 | sha256sum
echo "== gzip, gunzip, zcat"
cp src/numbers n
gzip n; ls -1 n n.gz 2>&1
gzip -c < src/numbers | md5sum
gzip -9 -c < src/sub/repeated | wc -c
gunzip n.gz; cmp n src/numbers && echo "gunzip gave the original"
gzip -c src/hello > h.gz; zcat h.gz
gzip -dc h.gz | wc -c
gzip -t h.gz && echo "gzip -t: ok"
printf 'not gzip' > bad.gz; gunzip -c bad.gz 2>&1; echo "gunzip of garbage: $?"
echo "== tar"
touch -d '2022-02-22 22:22:22' src/sub src
tar -cf a.tar -C src .
tar -tf a.tar | sort
tar -tvf a.tar | awk '{ $2 = "-"; print }' | sort -k6
mkdir out; tar -xf a.tar -C out
for f in numbers hello sub/bin sub/repeated; do cmp src/$f out/$f && echo "$f: same"; done
readlink out/sub/link
ls -l out/hello | awk '{ print $1, $5, $6, $7, $8 }'
tar -czf a.tgz -C src hello sub/bin
tar -tzf a.tgz
mkdir out2; tar -xzf a.tgz -C out2; cat out2/hello
tar -cf - -C src hello | tar -xOf - hello
tar -cf - -C src . | tar -tf - | wc -l
tar -xf no-such.tar 2>&1; echo "tar of a missing archive: $?"
echo "== dd"
dd if=src/numbers of=part bs=100 count=3 2>&1
wc -c part
dd if=src/numbers bs=1 skip=10 count=20 2>/dev/null; echo
dd if=/dev/zero bs=4096 count=256 2>/dev/null | md5sum
printf 'abcdef' | dd of=seeked bs=1 seek=4 2>/dev/null; od -c seeked
printf '0123456789' > over; printf 'XY' | dd of=over bs=1 seek=3 conv=notrunc 2>/dev/null; cat over; echo
dd if=/dev/zero of=sparse bs=1 count=1 seek=1048575 2>/dev/null; wc -c sparse
echo "== od, hexdump, xxd"
od -c src/sub/bin
od -An -tx1 src/sub/bin
od -t d2 -N 8 src/numbers
printf 'ABCD' | od -x
hexdump -C src/sub/bin
hexdump -n 16 -e '16/1 "%02x" "\n"' src/numbers
printf 'xyz' | xxd
printf 'xyz' | xxd -p
echo "== cmp"
cmp src/hello out/hello && echo "equal"
printf 'hellO, world\n' > diff1; cmp src/hello diff1; echo "cmp status $?"
echo done
