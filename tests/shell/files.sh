# File applets on a tree the script builds: ls -l, ls -1, stat, touch, cp -a, mv,
# rm -r, ln -s, ln, readlink, mkdir -p, rmdir, chmod, find, xargs.
# Owners are left out (the guest runs as root, the host maybe not), and so
# are the sizes and times of directories (they depend on the file system).
export TZ=UTC0
umask 022
cd "${TMPDIR:-/tmp}" && mkdir "files.$$" && cd "files.$$" || exit 99

# lsl ARGS: ls -l without owners, "total" lines, directory sizes and times
lsl() {
	ls -l "$@" | awk '$1 == "total" { next }
		{ $3 = "-"; $4 = "-"; if ($1 ~ /^d/) { $5 = "-"; $6 = "-"; $7 = "-"; $8 = "-" } print }'
}

echo "== touch and ls -l"
printf 'twelve bytes' > a
printf '' > empty
seq 1 1000 > big
touch -d '2020-01-02 03:04:05' a empty big
lsl a empty big
touch -d '2021-06-30 23:59:59' new
lsl new
touch -c not-created; ls -1 not-created 2>&1
touch -r a copy-time; lsl copy-time
chmod 0640 a; chmod u+x,o+r empty; chmod 4755 big
lsl a empty big
chmod 644 a empty big
echo "== stat"
stat -c '%n %s %a %F %h' a empty big
stat -c '%Y %y' a
echo "== mkdir -p, rmdir"
mkdir -p tree/one/two/three tree/other
lsl -d tree tree/one
rmdir tree/other
rmdir tree/one 2>&1; echo "rmdir of a non-empty directory: $?"
ls -1 tree
echo "== ln -s, ln, readlink"
ln -s a link-to-a
ln -s tree/one/two dirlink
ln -s no-such dangling
ln a hard-a
for l in link-to-a dirlink dangling; do readlink $l; done
ls -l link-to-a dangling | awk '{ print $1, $(NF-2), $(NF-1), $NF }'
stat -c '%n %h' a hard-a
cat link-to-a; echo
ls -1 dirlink
cat dangling 2>&1
ln -s a link-to-a 2>&1; echo "ln -s over an existing name: $?"
ln -sf big link-to-a; readlink link-to-a
readlink -f dirlink | sed "s|^$(pwd -P)|.|"
echo "== cp"
cp a b; stat -c '%n %s %a' b
cp -a a c; lsl c
cp -p big big-p; lsl big-p
echo data > tree/one/two/three/leaf
touch -d '2019-05-05 05:05:05' tree/one/two/three/leaf
ln -s ../two tree/one/two/three/up
cp -a tree tree-copy
find tree-copy | sort
lsl tree-copy/one/two/three/leaf
readlink tree-copy/one/two/three/up
cp -r tree tree-r 2>&1; find tree-r -type l | sort
cp a tree/one/; ls -1 tree/one
cp no-such x 2>&1; echo "cp of a missing file: $?"
echo "== mv"
mv b b-moved; ls -1 b b-moved 2>&1
mv b-moved tree/one/two/; ls -1 tree/one/two
mv c a; cat a; echo
mv tree-r tree-renamed; ls -1d tree-r* 
mv tree/one/two/b-moved .; ls -1 b-moved
echo "== rm"
rm b-moved; ls -1 b-moved 2>&1
rm -f no-such; echo "rm -f of a missing file: $?"
rm no-such 2>&1; echo "rm of a missing file: $?"
rm tree-renamed 2>&1; echo "rm of a directory: $?"
rm -r tree-renamed; ls -1d tree-renamed 2>&1
rm -rf tree-copy dangling; ls -1
echo "== find"
mkdir -p f/a/b f/c
for n in 1 2 3; do echo $n > f/a/file$n.txt; done
echo x > f/a/b/deep.c
printf '%2000s' x > f/c/large.dat
touch -d '2020-01-01' f/a/file1.txt
find f | sort
find f -type f | sort
find f -type d | sort
find f -name '*.txt' | sort
find f -name 'file[12]*' | sort
find f -maxdepth 1 | sort
find f -mindepth 3 | sort
find f -type f -size +1k
find f -type f -newer f/a/file1.txt | sort
find f -name '*.c' -exec cat {} \;
find f -name '*.txt' -exec echo found {} + | tr ' ' '\n' | sort
find f -type f -empty; echo "(no empty files)"
find f -path '*a/b*' | sort
find . -name no-such; echo "find without match: $?"
echo "== xargs"
seq 1 10 | xargs echo
seq 1 10 | xargs -n 3 echo
seq 1 3 | xargs -I{} echo "item {} done"
find f -name '*.txt' | sort | xargs cat
find f -name '*.txt' -print0 | xargs -0 wc -c | sort
printf 'a b\nc\n' | xargs -n 1 echo '>'
echo "" | xargs echo "empty input:"
seq 1 5 | xargs sh -c 'echo "$# args"' sh
seq 1 3 | xargs -n1 sh -c 'exit $1' sh; echo "xargs status when a command fails: $?"
echo done
