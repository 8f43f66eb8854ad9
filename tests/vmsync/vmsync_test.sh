#!/bin/bash
# vmsync_test.sh: the VMs' states follow their hosts. A host whose agent stops answering
# goes Disconnected and its VMs Unknown, the other host's stay Running; the agent back,
# the host reconnects and its VMs are Running again (/vm/vmsync). A VM shut down behind
# the node's back (the simulator's control API) is Stopped in the database at the next
# periodic sync, with its host capacity given back and vm/stateChanged; one paused there
# is Paused; one gone from its host is Stopped too. Every change comes as an event.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6
# shellcheck source=../vm/vm_lib.sh
. "$(dirname "$0")/../vm/vm_lib.sh"

start_cloud --set host.ping.interval=300 --set host.ping.timeout=1000 \
	--set host.ping.maxFailure=2 --set vm.sync.interval=1000
GIB=$((1 << 30))

vm_is() { [[ $(field state GetVmInstance uuid="$1") == "$2" ]]; }
host_is() { [[ $(field status GetHost uuid="$1") == "$2" ]]; }
ev_count() { vm_events | grep -cx "vm/stateChanged $1"; }

# four VMs, two on each host (placed by hostUuid)
declare -A VMS
for h in 1 2; do
	HU=H$h
	for k in a b; do
		ctl CreateVmInstance name="s$h$k" cpuNum=1 memorySize=$GIB imageUuid="$IMAGE" \
			l3NetworkUuids="$L3" hostUuid="${!HU}" --field uuid
		ok_if "CreateVmInstance s$h$k on h$h" "rc=$RC $(short "$OUT $ERR")" test "$RC" -eq 0
		VMS[$h$k]=$OUT
	done
done
for k in "${!VMS[@]}"; do
	ok_if "s$k is Running" "$(field state GetVmInstance uuid="${VMS[$k]}")" vm_is "${VMS[$k]}" Running
done
AVAIL1=$(field available_cpu GetKvmHost uuid="$H1")/$(field available_memory GetKvmHost uuid="$H1")

# ---- the agent of h1 stops answering: h1 Disconnected, its VMs Unknown ----
sim POST /sim/faults '{"host":"h1","path":"*","action":"fail","error":"agent gone"}' >/dev/null
ok_if "h1 goes Disconnected when its agent stops answering" "$(field status GetHost uuid="$H1")" \
	wait_for 20 host_is "$H1" Disconnected
ok_if "h1's VMs become Unknown" \
	"$(field state GetVmInstance uuid="${VMS[1a]}") $(field state GetVmInstance uuid="${VMS[1b]}")" \
	wait_for 10 eval 'vm_is "${VMS[1a]}" Unknown && vm_is "${VMS[1b]}" Unknown'
ok_if "h2's VMs stay Running" "" eval 'vm_is "${VMS[2a]}" Running && vm_is "${VMS[2b]}" Running'
ctl QueryVmInstance state=Unknown "hostUuid=$H1" count=true --field total
ok_if "QueryVmInstance state=Unknown hostUuid=h1: 2" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = 2
ok_if "vm/stateChanged came for s1a" "$(short "$(vm_events)")" \
	wait_for 15 eval '(( $(ev_count "${VMS[1a]}") >= 1 ))'
N1=$(ev_count "${VMS[1a]}")

# ---- the agent is back: h1 reconnects and its VMs are Running again ----
sim DELETE /sim/faults >/dev/null
ok_if "h1 reconnects once its agent answers" "$(field status GetHost uuid="$H1")" \
	wait_for 20 host_is "$H1" Connected
ok_if "h1's VMs are Running again (its agent runs them)" \
	"$(field state GetVmInstance uuid="${VMS[1a]}") $(field state GetVmInstance uuid="${VMS[1b]}")" \
	wait_for 10 eval 'vm_is "${VMS[1a]}" Running && vm_is "${VMS[1b]}" Running'
ok_if "the host got /vm/vmsync" "" eval 'sim GET "/sim/log?path=/vm/vmsync&host=h1" | grep -q vmsync'
ok_if "another vm/stateChanged came for s1a" "$N1 before" wait_for 15 eval '(( $(ev_count "${VMS[1a]}") > N1 ))'
ok_if "h1's capacity is as before: its VMs still hold theirs" "$AVAIL1" \
	eval '[[ $(field available_cpu GetKvmHost uuid="$H1")/$(field available_memory GetKvmHost uuid="$H1") == "$AVAIL1" ]]'

# ---- a VM shut down behind the node's back: Stopped at the next sync, capacity back ----
N1=$(ev_count "${VMS[1a]}")
CPU1=$(field available_cpu GetKvmHost uuid="$H1")
MEM1=$(field available_memory GetKvmHost uuid="$H1")
sim POST "/sim/hosts/h1/vms/${VMS[1a]}" '{"state":"Shutdown"}' >/dev/null
ok_if "s1a, shut down on h1 behind the node's back, is Stopped (periodic sync)" \
	"$(field state GetVmInstance uuid="${VMS[1a]}")" wait_for 15 vm_is "${VMS[1a]}" Stopped
ctl GetVmInstance uuid="${VMS[1a]}" --json
ok_if "... without a host, h1 as its last host" "$(short "$OUT")" \
	eval 'has "$OUT" "\"lastHostUuid\":\"$H1\"" && ! has "$OUT" "\"hostUuid\""'
ok_if "... its CPU and memory given back to h1" \
	"before $CPU1/$MEM1 now $(field available_cpu GetKvmHost uuid="$H1")/$(field available_memory GetKvmHost uuid="$H1")" \
	eval '[[ $(field available_cpu GetKvmHost uuid="$H1") == $((CPU1 + 1)) && $(field available_memory GetKvmHost uuid="$H1") == $((MEM1 + GIB)) ]]'
ok_if "... with vm/stateChanged" "$N1 before" wait_for 15 eval '(( $(ev_count "${VMS[1a]}") > N1 ))'
ctl StartVmInstance uuid="${VMS[1a]}" --field state
ok_if "... and it starts again" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running

# ---- paused there: Paused; gone from the host: Stopped ----
sim POST "/sim/hosts/h2/vms/${VMS[2a]}" '{"state":"Paused"}' >/dev/null
sim DELETE "/sim/hosts/h2/vms/${VMS[2b]}" >/dev/null
ok_if "s2a, paused on h2, is Paused" "$(field state GetVmInstance uuid="${VMS[2a]}")" \
	wait_for 15 vm_is "${VMS[2a]}" Paused
ok_if "s2b, gone from h2, is Stopped" "$(field state GetVmInstance uuid="${VMS[2b]}")" \
	wait_for 15 vm_is "${VMS[2b]}" Stopped
ctl ResumeVmInstance uuid="${VMS[2a]}" --field state
ok_if "s2a resumes" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running
ok_if "a crashed VM is Stopped too" "" eval \
	'sim POST "/sim/hosts/h1/vms/${VMS[1b]}" "{\"state\":\"Crashed\"}" >/dev/null; wait_for 15 vm_is "${VMS[1b]}" Stopped'
ok_if "the simulator refuses a state it does not know" "" \
	eval 'sim POST "/sim/hosts/h2/vms/${VMS[2a]}" "{\"state\":\"Dancing\"}" | grep -q "Running, Paused, Shutdown or Crashed"'

# ---- the accounting: every host's capacity is what its VMs hold ----
for h in 1 2; do
	HU=H$h
	RUN=$(count QueryVmInstance "hostUuid=${!HU}")
	CPU=$(field total_cpu GetKvmHost uuid="${!HU}")
	FREE=$(field available_cpu GetKvmHost uuid="${!HU}")
	ok_if "h$h: free CPUs = total - its $RUN VMs'" "total $CPU free $FREE" test "$FREE" = $((CPU - RUN))
done

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary vmsync
