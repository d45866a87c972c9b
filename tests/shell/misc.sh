# Small applets and builtins: date (formats; the clock only checked for
# plausibility), sleep, ps, env, test and [, printf, seq, yes | head,
# expr, basename, dirname, id, whoami, true, false, uname.
export TZ=UTC0
umask 022
cd "${TMPDIR:-/tmp}" && mkdir "misc.$$" && cd "misc.$$" || exit 99

echo "== date"
date -u -d @0
date -u -d @1234567890 '+%Y-%m-%d %H:%M:%S %a %b %j %u %Z'
date -u -d '2024-02-29 12:34:56' '+%s %A %B %d %y %I%p %e'
date -u -d @86399 +%T
now=$(date +%s)
[ "$now" -gt 1600000000 ] && echo "the clock is past 2020"
date '+%Y-%m-%d %H:%M:%S' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' && echo "date format ok"
date -u -R -d @1000000000
echo "== sleep"
start=$(date +%s)
sleep 2
end=$(date +%s)
[ $((end - start)) -ge 1 ] && echo "sleep 2 took at least a second by the clock"
sleep 0.1 && echo "fractional sleep"
sleep 1 2>&1; echo "sleep status $?"
sleep x 2>/dev/null; echo "sleep x: status $?"
echo "== ps"
sleep 1234 &
p=$!
sleep 1
ps | awk -v p=$p '$1 == p { $1 = "PID"; $2 = "USER"; print }'
ps -o pid,ppid,comm,args | awk -v p=$p '$1 == p { $1 = "PID"; $2 = ($2 == '$$' ? "SHELL" : $2); print }'
ps -o pid,stat | awk -v p=$p '$1 == p { print "state of the sleeping job:", substr($2, 1, 1) }'
kill $p; wait $p 2>/dev/null
ps | awk -v p=$p '$1 == p' | wc -l
[ "$(ps -o pid | grep -c .)" -gt 2 ] && echo "ps lists processes"
ps -o comm | grep -qx ps && echo "ps sees itself"
echo "== env"
env -i A=1 B='two words' env
env -i PATH="$PATH" sh -c 'echo "only PATH: $(env | wc -l) variable(s)"'
env -u HOME sh -c 'echo "HOME unset: [${HOME-unset}]"'
X=exported env | grep '^X='
export Y=1; env | grep '^Y='; unset Y; env | grep -c '^Y='
echo "HOME=$HOME TERM=$TERM"
echo "== test and ["
[ 1 -lt 2 ] && echo "1 < 2"
[ abc = abc ] && echo "strings equal"
[ abc != abd ] && echo "strings differ"
[ -z "" ] && [ -n x ] && echo "-z and -n"
touch f; mkdir d; ln -s f l
[ -f f ] && [ -d d ] && [ -L l ] && [ -e l ] && echo "-f -d -L -e"
[ -r f ] && [ -w f ] && [ ! -x f ] && echo "-r -w ! -x"
[ -s f ] || echo "f is empty (-s)"
[ f -ef l ] && echo "-ef through a link"
[ 10 -ge 10 -a 3 -ne 4 ] && echo "-a"
[ 1 -gt 2 -o 5 -eq 5 ] && echo "-o"
test ! -e no-such && echo "test ! -e"
[ -t 5 ] || echo "fd 5 is no terminal"
[ 2 -lt x ] 2>&1; echo "bad number: $?"
echo "== printf"
printf '%s|%5s|%-5s|%.2s\n' abc abc abc abc
printf '%d %5d %-5d| %05d %x %X %o %c\n' 42 42 42 42 255 255 8 A
printf '%.3f %e %g\n' 3.14159 31415.9 0.0001
printf '%s\n' one two three
printf 'tab\there\nescape \\ percent %%\n'
printf '%b\n' 'a\tb'
printf '\101\102\n'
printf '%d\n' 0x1f 010 -5
printf '%s %s\n' only-one
echo "== seq"
seq 5
seq 2 2 10 | tr '\n' ' '; echo
seq 10 -3 1 | tr '\n' ' '; echo
seq -w 8 11 | tr '\n' ' '; echo
seq -s, 1 5
seq 1.5 0.5 3
echo "== yes | head"
yes | head -n 3
yes hello | head -n 2
yes | head -c 1000000 | wc -c
echo "== expr, basename, dirname"
expr 3 + 4 \* 5
expr 17 / 5 % 2
expr length hello
expr substr hello 2 3
expr abc : 'a\(.*\)'
expr 1 = 2; echo "expr false: $?"
basename /a/b/c.txt .txt
basename /a/b/
dirname /a/b/c.txt
dirname c.txt
echo "== id, whoami, uname"
# (Numbers and names left out: the guest runs as root, the host maybe not.)
id -u | grep -qx '[0-9][0-9]*' && echo "id -u is a number"
[ "$(id -un)" = "$(whoami)" ] && echo "id -un and whoami agree"
[ "$(id -g)" = "$(id -g "$(whoami)")" ] && echo "id -g agrees with the user's entry"
uname -s
uname -m
echo "== true, false"
true; echo "true: $?"
false; echo "false: $?"
echo done
