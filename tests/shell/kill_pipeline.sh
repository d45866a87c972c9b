# kill of a pipeline: a pipeline in a session and process group of its own
# (setsid) ended with one kill of the group; the last stage of a background
# pipeline killed alone, the writer before it ending by SIGPIPE; kill -l, kill -0
# and the kill applet.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "kill_pipeline.$$" && cd "kill_pipeline.$$" || exit 99

# group_size PGID: the number of processes in process group PGID
group_size() {
	ps -o pgid,stat | awk -v g="$1" '$1 == g && $2 !~ /^Z/' | wc -l
}

echo "a pipeline in its own process group:"
setsid sh -c 'sleep 1234 | sleep 1234 | cat' &
g=$!
w=0; while [ "$(group_size $g)" -lt 4 ] && [ $((w += 1)) -le 60 ]; do sleep 1; done # a minute at most
echo "processes in the group: $(group_size $g)"
# (Whether the shell reports "Terminated" here depends on how it reaped
# the job: its messages go to /dev/null.)
{
	kill -TERM -$g
	wait $g
	echo "the shell of the pipeline ended with $?"
} 2>/dev/null
w=0; while [ "$(group_size $g)" -gt 0 ] && [ $((w += 1)) -le 60 ]; do sleep 1; done # a minute at most
echo "processes in the group after kill: $(group_size $g)"

echo "killing the last stage of a background pipeline:"
# (The shell says "Terminated" only if it reaps sed after yes: with several
# CPUs yes may still be waking from its pipe write when sed is reaped, on
# Linux too. Its messages go to /dev/null.)
{
	yes | sed 's/y/n/' > /dev/null &
	p=$!
	sleep 1
	kill $p
	wait $p
	echo "last stage ended with $? (SIGTERM); yes ends by SIGPIPE"
} 2>/dev/null
echo "kill -0 tells whether a process exists:"
sleep 2 &
p=$!
kill -0 $p && echo "running: yes"
wait $p
kill -0 $p 2>/dev/null || echo "after wait: no"
echo "kill -l:"
kill -l 9 15 2
kill -l 130
echo "the kill applet (not the builtin):"
# (The shell may reap the job while it waits for env, and then reports
# "Killed" or not depending on timing: its messages go to /dev/null.)
(
	sleep 1234 &
	p=$!
	env kill -s KILL $p
	wait $p
	echo "killed by the applet: $?"
) 2>/dev/null
echo "kill of a process that does not exist:"
kill 999999 2>/dev/null; echo "status $?"
echo done
