# Globbing: *, ?, [...], [!...], hidden files, directories, no match,
# quoting, globs in paths and case patterns, set -f.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "glob.$$" && cd "glob.$$" || exit 99

touch a1 a2 a10 b1 b2 c.txt d.txt .hidden .h2 'with space'
mkdir dir1 dir2 dir2/sub
touch dir1/x.c dir1/y.c dir2/z.c dir2/sub/deep.c
echo "*: " *
echo "a*: " a*
echo "a?: " a?
echo "[ab]1: " [ab]1
echo "[!a]*: " [!a]*
echo "[a-b]2: " [a-b]2
echo "*.txt: " *.txt
echo ".*: " .h*
echo "*/: " */
echo "*/*.c: " */*.c
echo "*/*/*.c: " */*/*.c
echo "no match stays: " *.none q?
echo "quoted stays: " "*" '*.txt' \*
echo "in a variable, unquoted then quoted:"
pat='a*'
echo $pat
echo "$pat"
echo "a file with a space:"
for f in with*; do echo "[$f]"; done
echo "set -f turns globbing off:"
set -f
echo *
set +f
echo "count of matches:"
set -- *
echo "$#"
echo "case patterns:"
for w in a1 b22 c.txt zz; do
	case $w in
	a?) echo "$w: a and one character" ;;
	b*2) echo "$w: b...2" ;;
	*.txt) echo "$w: text" ;;
	*) echo "$w: other" ;;
	esac
done
echo "[[:digit:]] and [[:alpha:]]:"
echo a[[:digit:]]
echo [[:alpha:]].txt
echo "after removing a file:"
rm a10
echo a*
echo done
