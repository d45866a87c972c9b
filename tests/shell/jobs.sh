# Background jobs and wait: $!, wait for one job and for all, exit statuses
# through wait, jobs that outlive their parent shell, many jobs at once.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "jobs.$$" && cd "jobs.$$" || exit 99

echo "a background job and wait:"
{ sleep 1; echo "from the background"; } &
echo "started"
wait
echo "waited"
echo "wait PID returns the job's status:"
(exit 7) &
p=$!
wait $p
echo "status $?"
sh -c 'kill -TERM $$' &
wait $!
echo "killed by SIGTERM: status $?"
echo "several jobs, waited for in turn:"
sleep 1 && echo slow > slow &
p1=$!
echo fast > fast &
p2=$!
wait $p2; echo "fast: $? $(cat fast)"
wait $p1; echo "slow: $? $(cat slow)"
echo "twenty jobs at once:"
i=0
while [ $i -lt 20 ]; do
	( sleep 1; echo $i > out.$i ) &
	i=$((i + 1))
done
wait
cat out.* | sort -n | tr '\n' ' '; echo
echo "wait without jobs returns at once: $(wait; echo $?)"
echo "wait for a pid that is not a child:"
wait 99999 2>/dev/null; echo "status $?"
echo "a job keeps running while the shell works:"
sleep 2 &
p=$!
n=0
while kill -0 $p 2>/dev/null && [ $n -lt 3 ]; do n=$((n + 1)); done
echo "probed while it ran: $n"
wait $p; echo "then it ended: $?"
echo "an orphan outlives its parent shell:"
sh -c '(sleep 1; echo orphan done > orphan) & exit 0'
echo "parent gone: $?"
w=0; while [ ! -s orphan ] && [ $((w += 1)) -le 60 ]; do sleep 1; done # a minute at most
cat orphan
echo "a background pipeline:"
seq 1 100 | grep 5 | wc -l > count &
wait $!
echo "count: $(cat count)"
echo "stdin of a background job is /dev/null:"
echo "bytes read: $(echo "from stdin" | { cat & wait; } | wc -c)"
echo done
