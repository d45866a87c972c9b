#!/bin/bash
# Users and permissions with Debian's own tools (util-linux setpriv, runuser,
# su, chrt, prlimit, setarch; coreutils nice; bsdutils renice; passwd's
# useradd), run as root on a fresh Debian root. Each check prints what
# failed; the last line is the verdict the host reads.
passed=0 failed=0

check() { # check NAME COMMAND...: passes when COMMAND succeeds
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "users: FAIL $name"
	fi
}

as_alice() { setpriv --reuid=1000 --regid=1000 --clear-groups "$@"; }
fails() { ! "$@"; } # check's command must fail (a "!" there would be a command name)

useradd -m -u 1000 -s /bin/bash alice
check useradd_made_alice test "$(id -u alice)" = 1000
check alice_owns_her_home test "$(stat -c %u:%g /home/alice)" = 1000:1000

echo secret > /root/secret
chmod 600 /root/secret
check root_reads_its_0600_file test "$(cat /root/secret)" = secret
check alice_cannot_read_it fails as_alice cat /root/secret 2>/dev/null
check alice_cannot_write_it fails as_alice sh -c 'echo x >> /root/secret' 2>/dev/null
check alice_cannot_create_in_etc fails as_alice touch /etc/alice 2>/dev/null
check alice_cannot_chmod_roots_file fails as_alice chmod 666 /root/secret 2>/dev/null
check alice_cannot_chown_roots_file fails as_alice chown 1000 /root/secret 2>/dev/null
check alice_creates_in_her_home as_alice touch /home/alice/mine
check her_file_is_hers test "$(stat -c %u:%g /home/alice/mine)" = 1000:1000
check alice_cannot_mknod fails as_alice mknod /home/alice/null c 1 3 2>/dev/null
check fault_inject_is_roots fails as_alice sh -c 'echo "ext2 crash every 1" > /proc/fault_inject' 2>/dev/null

check runuser_runs_as_alice test "$(runuser -u alice -- id -u)" = 1000
check su_runs_as_alice test "$(su alice -c 'id -un')" = alice
check alice_has_no_capabilities test "$(as_alice grep CapEff /proc/self/status | tr -d '\t ')" = CapEff:0000000000000000
check root_has_capabilities test "$(grep CapEff /proc/self/status | tr -d '\t ')" != CapEff:0000000000000000
check setpriv_dumps_capabilities sh -c 'setpriv -d | grep -q "Capability bounding set"'

check nice_sets_niceness test "$(nice -n 5 nice)" = 5
check alice_cannot_lower_niceness test "$(as_alice nice -n -5 nice 2>/dev/null)" = 0
check renice_changes_a_process sh -c 'sleep 5 & p=$!; renice -n 7 -p $p >/dev/null; n=$(ps -o ni= -p $p); kill $p; test $n = 7'
check chrt_fifo_as_root chrt -f 10 true
check alice_cannot_chrt_fifo fails as_alice chrt -f 10 true 2>/dev/null
check ionice_reports_a_class sh -c 'ionice -c 2 -n 3 ionice | grep -q "best-effort: prio 3"'

check prlimit_sets_nofile test "$(prlimit --nofile=100 bash -c 'ulimit -n')" = 100
check ulimit_fsize_stops_a_write fails bash -c 'ulimit -f 1; head -c 4096 /dev/zero > /tmp/big' 2>/dev/null

stack() { setarch "$@" bash -c 'grep "\[stack\]" /proc/self/maps'; }
check stacks_differ_between_runs test "$(stack x86_64)" != "$(stack x86_64)"
check setarch_R_turns_randomization_off test "$(stack x86_64 -R)" = "$(stack x86_64 -R)"

echo "users: $passed checks passed, $failed failed"
