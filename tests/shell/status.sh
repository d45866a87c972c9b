# Exit statuses: of commands, builtins, functions, subshells, pipelines,
# && and ||, !, set -e, commands not found or not executable, exit codes
# beyond 255, deaths by signal, and $? in various places.
export TZ=UTC0
umask 022
cd "${TMPDIR:-/tmp}" && mkdir "status.$$" && cd "status.$$" || exit 99
ulimit -c 0

true; echo "true: $?"
false; echo "false: $?"
sh -c 'exit 0'; echo "exit 0: $?"
sh -c 'exit 1'; echo "exit 1: $?"
sh -c 'exit 42'; echo "exit 42: $?"
sh -c 'exit 255'; echo "exit 255: $?"
sh -c 'exit 256'; echo "exit 256: $?"
sh -c 'exit 300'; echo "exit 300: $?"
sh -c 'exit -1' 2>/dev/null; echo "exit -1: $?"
echo "not found and not executable:"
no-such-command 2>/dev/null; echo "not found: $?"
./no-such-file 2>/dev/null; echo "no file: $?"
printf 'echo hi\n' > noexec; ./noexec 2>/dev/null; echo "not executable: $?"
mkdir dir; ./dir 2>/dev/null; echo "a directory: $?"
printf '#!/bin/sh\nexit 9\n' > script; chmod +x script; ./script; echo "script: $?"
printf '#!/no/such/interpreter\n' > badint; chmod +x badint; ./badint 2>/dev/null; echo "bad interpreter: $?"
printf 'echo "no #! line, run by sh: $0"\nexit 4\n' > nohash; chmod +x nohash; ./nohash; echo "no #!: $?"
echo "death by signal is 128 + N:"
sh -c 'kill -KILL $$'; echo "KILL: $?"
sh -c 'kill -TERM $$'; echo "TERM: $?"
sh -c 'kill -SEGV $$' 2>/dev/null; echo "SEGV: $?"
echo "functions and subshells:"
f() { return 5; }
f; echo "function: $?"
g() { false; }
g; echo "last command of a function: $?"
(exit 6); echo "subshell: $?"
{ true; false; }; echo "group: $?"
echo "&& and ||:"
true && echo "and runs"
false && echo "not printed"; echo "false && x: $?"
false || echo "or runs"
true || echo "not printed"; echo "true || x: $?"
false || false || true; echo "chain: $?"
echo "! inverts:"
! false; echo "! false: $?"
! true; echo "! true: $?"
! sh -c 'exit 3'; echo "! exit 3: $?"
echo "if, while, case:"
if false; then :; fi; echo "if without branch taken: $?"
if sh -c 'exit 2'; then :; else echo "else branch, status $?"; fi
n=0; while [ $n -lt 3 ]; do n=$((n + 1)); done; echo "while: $? n=$n"
case x in y) ;; esac; echo "case without match: $?"
for i in; do :; done; echo "empty for: $?"
echo "set -e stops at a failure:"
sh -c 'set -e; echo before; false; echo after'; echo "status $?"
sh -c 'set -e; false || true; echo "|| does not stop"; if false; then :; fi; echo "nor if"'
sh -c 'set -e; false | true; echo "nor a pipeline ending in true"'
echo "\$? inside expansions:"
false; echo "$? $?"
sh -c 'exit 7'; x=$?; echo "saved: $x"
echo "$(exit 3; echo no)$?"
echo "exit without a number keeps the last status:"
sh -c 'false; exit'; echo "status $?"
echo "wait for a background job:"
sh -c 'exit 11' & wait $!; echo "background: $?"
echo done
