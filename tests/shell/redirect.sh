# Every redirection form: >, >>, <, 2>, 2>&1, >&2, <>, >|, n>&-, exec with
# numbered fds, redirections of compound commands, and errors.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "redirect.$$" && cd "redirect.$$" || exit 99

echo "> creates and truncates:"
echo first > f
echo second > f
cat f
echo ">> appends:"
echo third >> f
echo fourth >>f
cat f
echo "< reads:"
wc -l < f
read line < f
echo "read: $line"
echo "2> and 2>>:"
ls no-such-file 2> err
ls no-such-file-2 2>> err
cat err
echo "2>&1 (order matters):"
{ echo to-out; echo to-err >&2; } > both 2>&1
sort both
{ echo to-err >&2; } 2>&1 > only-out | sed 's/^/piped: /'
echo "only-out has $(wc -c < only-out) bytes"
echo ">&2 then 2>&1 back:"
{ echo via-stderr >&2; } 2>&1
echo "&> is not POSIX; 1>f 2>&1 is:"
sh -c 'echo o; echo e >&2' 1>f2 2>&1
sort f2
echo "<> opens for reading and writing:"
echo abcdef > rw
exec 3<> rw
read -n 3 x <&3
echo "read three: $x"
echo XY >&3
exec 3>&-
cat rw
echo ">| overrides noclobber:"
set -C
echo one > clobber
{ echo two > clobber; } 2>&1 || echo "noclobber refused"
echo three >| clobber
set +C
cat clobber
echo "numbered fds with exec:"
exec 4> fd4
echo "line on fd 4" >&4
echo "another line" >&4
exec 4>&-
cat fd4
exec 5< fd4
read a <&5
read b <&5
exec 5<&-
echo "5 gave: $a / $b"
echo "writing to a closed fd fails:"
( echo x >&7 ) 2>/dev/null || echo "fd 7 is not open"
echo "closing stdout of a command:"
( echo hidden >&- ) 2>/dev/null; echo "status $?"
echo "duplicating for reading: 0<&6"
exec 6< f
cat 0<&6 | head -2
exec 6<&-
echo "redirections of compound commands:"
for i in 1 2 3; do echo "loop $i"; done > loop
cat loop
while read l; do echo "[$l]"; done < loop
if true; then echo "if-out"; fi > ifout; cat ifout
{ echo g1; echo g2; } | tac
f() { echo "in function"; echo "function err" >&2; }
f > fo 2> fe
cat fo fe
echo "redirection to /dev/null and from /dev/null:"
echo gone > /dev/null
cat < /dev/null | wc -c
echo "redirection errors:"
{ cat < no-such-input; } 2>&1 || echo "input missing: status $?"
{ echo x > no-such-dir/f; } 2>&1 || echo "no directory: status $?"
echo "the file after a failed redirection is unchanged:"
cat f
echo done
