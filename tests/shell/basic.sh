# The shell alone, without pipes or child processes: parameters and their
# expansions, arithmetic, functions, loops, case, set and shift, builtins
# echo, printf, read (from a file), cd and pwd. The first script a new
# kernel should pass.
export TZ=UTC0
umask 022
cd "${TMPDIR:-/tmp}" && mkdir "basic.$$" && cd "basic.$$" || exit 99

echo "hello from busybox sh"
a=1 b="two words" c=
echo "a=$a b=$b c=[$c]"
echo "default: ${unset_var:-fallback} ${c:-empty} ${a:+set}"
echo "assign default: ${d:=assigned} $d"
s=path/to/file.tar.gz
echo "prefix and suffix removal: ${s#*/} ${s##*/} ${s%.*} ${s%%.*}"
echo "length: ${#s}"
echo "substring and replacement: ${s:5:2} ${s/file/FILE} ${s//t/T}"
echo "arithmetic: $((1 + 2 * 3)) $((17 / 5)) $((17 % 5)) $((2 ** 10)) $((-7 / 2)) $((1 << 4)) $((0x10 + 010))"
i=5; i=$((i + 1)); : $((i *= 2)); echo "i=$i"
echo "comparison: $((3 > 2)) $((3 == 2)) $((3 != 2 && 1))"
echo "positional parameters:"
set -- one "two three" four
echo "$# args: $1 / $2 / $3"
for arg in "$@"; do echo "[$arg]"; done
for arg in $*; do printf '<%s>' "$arg"; done; echo
shift; echo "after shift: $1"
shift 2; echo "after shift 2: $#"
echo "functions:"
greet() { echo "hello, $1 ($# args)"; local x=inside; y=global; }
greet world extra
echo "local stays local: [${x-unset}], global: $y"
fact() { if [ "$1" -le 1 ]; then r=1; else fact $(( $1 - 1 )); r=$(( r * $1 )); fi; }
fact 10; echo "10! = $r"
echo "loops:"
for i in 1 2 3; do printf '%s ' "for-$i"; done; echo
n=0; while [ $n -lt 5 ]; do n=$((n + 1)); [ $n -eq 2 ] && continue; [ $n -eq 4 ] && break; printf '%s ' "while-$n"; done; echo
n=3; until [ $n -eq 0 ]; do printf '%s ' "until-$n"; n=$((n - 1)); done; echo
echo "case:"
for w in apple Banana cherry 42 ''; do
	case $w in
	a*) echo "$w: starts with a" ;;
	[A-Z]*) echo "$w: capital" ;;
	*[0-9]) echo "$w: ends in a digit" ;;
	'') echo "empty" ;;
	*) echo "$w: something else" ;;
	esac
done
echo "read from a file:"
printf 'first line\nsecond: a b c\n' > input
while IFS= read -r line; do echo "read [$line]"; done < input
IFS=: read -r key rest < input
echo "key=[$key]"
{ read -r l1; read -r w1 w2 w3; } < input
echo "words: $w1 | $w2 | $w3"
echo "IFS splitting:"
v="a:b::c"
IFS=:; set -- $v; IFS=' 	
'
echo "$# fields: $1,$2,$3,$4"
echo "quoting:"
echo 'single $a' "double $a" \$a "\"quoted\"" 'it'\''s'
echo "cd and pwd:"
mkdir -p sub/dir
cd sub/dir
echo "in: ${PWD##*/}"
cd ..
echo "up: ${PWD##*/}"
cd - > /dev/null
echo "back: ${PWD##*/}"
cd ../..
echo "eval and command:"
cmd='echo evaluated $a'
eval "$cmd"
command echo "through command"
echo "exit status of the last command: $?"
echo done
