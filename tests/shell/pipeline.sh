# Pipelines of several stages: data through 2 to 7 processes, large
# volumes (more than a pipe holds), early readers ending (SIGPIPE on the
# writer) and the pipeline's status.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "pipeline.$$" && cd "pipeline.$$" || exit 99

echo "two stages:"
echo hello | cat
echo "three stages:"
printf 'b\na\nc\n' | sort | cat
echo "seven stages:"
seq 1 1000 | grep 7 | sort -r | head -20 | tr 0-9 a-j | sed 's/^/> /' | tail -3
echo "counted:"
seq 1 1000 | grep 7 | wc -l
echo "a megabyte through a pipe:"
head -c 1048576 /dev/zero | tr '\0' x | wc -c
echo "seq 100000 through md5sum:"
seq 100000 | md5sum
echo "two megabytes through four pipes:"
yes 0123456789abcdef | head -c 2097152 | cat | cat | md5sum
echo "the writer ends when the reader does (SIGPIPE):"
yes | head -n 3
yes long line of text | sed 5q | wc -l
echo "status of a pipeline is the last stage's:"
true | false
echo "true | false: $?"
false | true
echo "false | true: $?"
sh -c 'exit 3' | sh -c 'exit 5'
echo "3 | 5: $?"
! true | true
echo "! (true | true): $?"
set -o pipefail
false | true
echo "pipefail: false | true: $?"
set +o pipefail
echo "a pipeline into a compound command:"
seq 5 | while read n; do echo "line $n"; done
seq 3 | { read a; read b; echo "first $a second $b"; cat; }
echo "a subshell in a pipeline:"
(echo one; echo two) | (read x; echo "got $x"; cat)
echo "stderr into the pipe:"
(echo out; echo err >&2) 2>&1 | sort
echo done
