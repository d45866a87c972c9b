# Command substitution: $(...) and backquotes, nesting, trailing newlines,
# exit statuses, large outputs, substitutions in assignments, arguments,
# here-documents and arithmetic.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "cmdsubst.$$" && cd "cmdsubst.$$" || exit 99

echo "simple: $(echo hello)"
echo "backquotes: `echo world`"
echo "nested: $(echo outer $(echo inner $(echo innermost)))"
echo "nested backquotes: `echo a \`echo b\``"
x=$(printf 'line1\nline2\n\n\n')
echo "trailing newlines removed: [$x]"
echo "inner newlines kept: $(printf 'a\nb' | wc -l)"
echo "word splitting:"
set -- $(echo one two   three)
echo "$# words: $1/$2/$3"
set -- "$(echo one two   three)"
echo "$# quoted word: $1"
echo "status of the substitution:"
v=$(exit 7)
echo "assignment status: $?"
v=$(false) || echo "false in an assignment fails"
echo "with a pipeline: $(seq 10 | grep -c 1)"
echo "arithmetic from substitutions: $(( $(echo 6) * $(echo 7) ))"
echo "large output: $(seq 1 20000 | tr -d '\n' | wc -c) digits"
big=$(seq 1 50000)
echo "kept in a variable: ${#big} characters, md5 $(echo "$big" | md5sum)"
echo "reading a file: $(cat /etc/passwd | head -1 | cut -d: -f1,3)"
echo "in a for list:"
for w in $(seq 3 -1 1); do printf '%s ' "$w"; done; echo
echo "substitution with stderr:"
e=$(ls no-such 2>&1)
echo "captured: $e"
e=$(ls no-such 2>/dev/null)
echo "discarded: [$e] status $?"
echo "subshell state does not leak:"
y=outer
z=$(y=inner; echo $y)
echo "$y $z"
echo "cd inside does not move us:"
mkdir sub
p1=$(pwd)
p2=$(cd sub && pwd)
[ "$p1/sub" = "$p2" ] && echo "pwd in the substitution was the subdirectory"
[ "$(pwd)" = "$p1" ] && echo "and ours did not change"
echo "a function's output: $(f() { echo "from f $1"; }; f arg)"
echo "case on a substitution:"
case $(uname -s) in Linux) echo "uname says Linux" ;; *) echo "uname says something else" ;; esac
echo done
