# trap: handlers for signals the shell sends itself and receives from other
# processes, EXIT traps, ignored signals inherited by children, resetting
# a trap, signals during a wait, and default actions (terminate, core)
# with the statuses the shell reports.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "trap.$$" && cd "trap.$$" || exit 99
ulimit -c 0 # "Quit", not "Quit (core dumped)"

echo "a handler for a signal the shell sends itself:"
trap 'echo "got USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo "got USR2"; n=$((n + 1))' USR2
n=0
kill -USR2 $$; kill -USR2 $$; kill -s USR2 $$
echo "USR2 three times: n=$n"
trap - USR1 USR2
echo "an EXIT trap in a subshell:"
( trap 'echo "exit trap ran, status $?"' EXIT; echo "in the subshell"; exit 4 )
echo "subshell status $?"
echo "TERM caught by a child shell while it sleeps:"
sh -c 'trap "echo caught TERM; exit 3" TERM; echo ready > ready; while :; do sleep 1; done' &
p=$!
w=0; while [ ! -s ready ] && [ $((w += 1)) -le 60 ]; do sleep 1; done # a minute at most
kill -TERM $p
wait $p
echo "child status $?"
echo "a background job ignores INT (POSIX), and HUP runs its handler:"
sh -c 'trap "echo INT" INT; trap "echo HUP; exit 0" HUP; echo ready > r2; while :; do sleep 1; done' &
p=$!
w=0; while [ ! -s r2 ] && [ $((w += 1)) -le 60 ]; do sleep 1; done # a minute at most
kill -INT $p
sleep 1
kill -0 $p && echo "still running after INT"
kill -HUP $p
wait $p
echo "child status $?"
echo "a trap interrupts wait:"
trap 'echo "USR1 during wait"' USR1
sleep 5 &
sp=$!
(sleep 2; kill -USR1 $$) &
wait $sp
echo "wait status $? (128 + SIGUSR1)"
wait
trap - USR1
echo "ignored signals stay ignored in children:"
trap '' USR1
sh -c 'kill -USR1 $$; echo "child survived USR1"'
trap - USR1
echo "default actions and their statuses:"
for sig in HUP INT QUIT KILL USR1 SEGV USR2 PIPE ALRM TERM; do
	timeout -s $sig 1 sleep 10
	echo "$sig: $?"
done
echo "the shell's own: INT ends sh -c with 130, QUIT is ignored by sh:"
sh -c 'kill -INT $$; echo not reached'
echo "INT: $?"
sh -c 'kill -QUIT $$; echo "QUIT ignored"'
echo "trap lists the handlers:"
trap 'echo bye' EXIT
trap 'echo x' USR2
trap
trap - USR2 EXIT
echo done
