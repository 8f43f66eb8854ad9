#!/bin/bash
# maintain_test.sh: a host's maintenance (ChangeHostState maintain, run as a job) against a
# real zsnode, a real zs-kvmsim and PostgreSQL: with six VMs on h1 and every /vm/migrate
# held open by a delay fault, the simulator never sees more than kvm.vm.migrationQuantity
# (2) migrations at once, the host ends Maintenance with no VM on it (a Stopped VM whose
# last host it is stays Stopped), and no other state change is taken meanwhile; leaving
# maintenance reconnects the host; a failing migration under StopVmOnMigrationFailure
# stops that VM and the host still goes Maintenance; under JustMigrate the maintenance
# fails (KVM.1005) and the host is Enabled again with its VM Running on it; a second
# account changes nothing; a host left PreMaintenance by a node killed in the middle can
# be enabled again after the restart.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5
SUITE=maint_maintain
# shellcheck source=maint_lib.sh
. "$(dirname "$0")/maint_lib.sh"

start_cloud
second_account
ON_H1=()
for i in 1 2 3 4 5 6; do
	new_vm "vm$i" "$H1"
	[[ -n $VM ]] && ON_H1+=("$VM")
done
new_vm parked "$H1"
PARKED=$VM
ctl StopVmInstance uuid="$PARKED"
ok_if "six VMs Running on h1, a seventh Stopped there" "$(short "$ERR")" \
	eval '(( ${#ON_H1[@]} == 6 )) && [[ $(sim_vm_uuids h1 | wc -l) == 6 && $(field state GetVmInstance uuid=$PARKED) == Stopped ]]'

# a second account may not touch the host
BEFORE=$(maint_state)
ctl2 ChangeHostState uuid="$H1" stateEvent=maintain
ok_if "another account's ChangeHostState is refused (admins only)" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" "KVM.1003"'
ok_if "and changes nothing" "" eval '[[ "$BEFORE" == "$(maint_state)" && $(field state GetKvmHost uuid=$H1) == Enabled ]]'

# every migration held open 1.2 s (three rounds of two: the refused enable below is sent
# while they run, also on a busy machine under the sanitizers): how many at once?
sim DELETE /sim/inflight >/dev/null
sim POST /sim/faults '{"path":"/vm/migrate","action":"delay","delayMs":1200}' >/dev/null
ctl --job ChangeHostState uuid="$H1" stateEvent=maintain
JOB=$(sed -n 's/.*"jobUuid": *"\([^"]*\)".*/\1/p' <<<"$OUT")
[[ -n $JOB ]] || JOB=$(grep -o '[0-9a-f]\{8\}-[0-9a-f-]\{27\}' <<<"$OUT" | head -1)
ok_if "ChangeHostState maintain runs as a job" "rc=$RC $(short "$OUT $ERR")" eval '[[ $RC -eq 0 && -n $JOB ]]'
ok_if "the host is PreMaintenance meanwhile" "" wait_for 10 eval '[[ $(field state GetKvmHost uuid=$H1) == PreMaintenance ]]'
ctl ChangeHostState uuid="$H1" stateEvent=enable
ok_if "and no other change is taken then (KVM.1004)" "rc=$RC $(short "$ERR")" has "$ERR" "KVM.1004"
until=$((SECONDS + 60))
while ((SECONDS < until)); do
	ctl job get "$JOB"
	has "$OUT" "SUCCEEDED" || has "$OUT" "FAILED" && break
	sleep 0.2
done
ok_if "the job succeeds" "$(short "$OUT")" has "$OUT" "SUCCEEDED"
ok_if "the host is in Maintenance" "" eval '[[ $(field state GetKvmHost uuid=$H1) == Maintenance ]]'
FL=$(sim GET /sim/inflight)
MAX=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["paths"]["/vm/migrate"]["max"])' <<<"$FL" 2>/dev/null)
TOTAL=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["paths"]["/vm/migrate"]["total"])' <<<"$FL" 2>/dev/null)
ok_if "never more than 2 migrations at once (kvm.vm.migrationQuantity), and 2 were" "$(short "$FL")" \
	eval '[[ $MAX == 2 && $TOTAL == 6 ]]'
ok_if "no VM on h1, in the simulator or in the database" "$(sim_vm_uuids h1 | tr '\n' ' ')" \
	eval '[[ -z $(sim_vm_uuids h1) && $(count QueryVmInstance host_uuid=$H1) == 0 ]]'
moved=0
for v in "${ON_H1[@]}"; do
	h=$(field host_uuid GetVmInstance uuid="$v")
	[[ $(field state GetVmInstance uuid="$v") == Running && ( $h == "$H2" || $h == "$H3" ) ]] && moved=$((moved + 1))
done
ok_if "the six run on h2 and h3" "$moved of 6" test "$moved" -eq 6
ok_if "the Stopped VM stays Stopped, h1 its last host" "" \
	eval '[[ $(field state GetVmInstance uuid=$PARKED) == Stopped && $(field last_host_uuid GetVmInstance uuid=$PARKED) == "$H1" ]]'
ok_if "h1 holds no capacity for VMs" "$(host_free "$H1")" eval '[[ $(host_free "$H1") == 8/33285996544 ]]'
run 20 "$ZSWATCH" --url "tcp://127.0.0.1:$JSON_PORT" --rpc-url "$RPC_URL" --since 0 --timeout 1500 \
	--json host/stateChanged
EV=$(grep -c "$H1" <<<"$OUT")
ok_if "host/stateChanged went out for PreMaintenance and Maintenance" "$EV events" eval '((EV >= 2))'
sim DELETE /sim/faults >/dev/null

# leaving maintenance reconnects
connects=$(sim GET "/sim/log?host=h1&path=/host/connect" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
ctl ChangeHostState uuid="$H1" stateEvent=enable
until=$((SECONDS + 15))
while ((SECONDS < until)) && [[ $(field status GetKvmHost uuid=$H1) != Connected ]]; do sleep 0.1; done
now=$(sim GET "/sim/log?host=h1&path=/host/connect" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
ok_if "enable: Enabled, and the host is connected again" "connects $connects -> $now" \
	eval '[[ $(field state GetKvmHost uuid=$H1) == Enabled && $(field status GetKvmHost uuid=$H1) == Connected ]] && ((now > connects))'

# StopVmOnMigrationFailure (the default): the VM that cannot move is stopped
ctl MigrateVm vmInstanceUuid="${ON_H1[0]}" hostUuid="$H1"
ctl MigrateVm vmInstanceUuid="${ON_H1[1]}" hostUuid="$H1"
sim POST /sim/faults '{"path":"/vm/migrate","action":"fail","error":"no route to the destination","times":1}' >/dev/null
run 60 "$ZSCTL" --url "$RPC_URL" --wait ChangeHostState uuid="$H1" stateEvent=maintain
ok_if "a failed migration under StopVmOnMigrationFailure: the host still goes Maintenance" \
	"rc=$RC $(short "$ERR")" eval '[[ $RC -eq 0 && $(field state GetKvmHost uuid=$H1) == Maintenance ]]'
s0=$(field state GetVmInstance uuid="${ON_H1[0]}") s1=$(field state GetVmInstance uuid="${ON_H1[1]}")
ok_if "one of its VMs migrated, the other is Stopped" "$s0 $s1" \
	eval '[[ "$s0 $s1" == "Running Stopped" || "$s0 $s1" == "Stopped Running" ]] && [[ -z $(sim_vm_uuids h1) ]]'
ok_if "h1 holds no capacity for VMs" "$(host_free "$H1")" eval '[[ $(host_free "$H1") == 8/33285996544 ]]'
sim DELETE /sim/faults >/dev/null
ctl ChangeHostState uuid="$H1" stateEvent=enable
until=$((SECONDS + 15))
while ((SECONDS < until)) && [[ $(field status GetKvmHost uuid=$H1) != Connected ]]; do sleep 0.1; done

# JustMigrate: the maintenance fails and the host is back Enabled, its VM Running on it
ctl config update host.maintenance.policy JustMigrate
ok_if "host.maintenance.policy: JustMigrate" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
for v in "${ON_H1[@]}"; do
	[[ $(field state GetVmInstance uuid="$v") == Running ]] && { KEEP=$v; break; }
done
ctl MigrateVm vmInstanceUuid="$KEEP" hostUuid="$H1"
BEFORE=$(maint_state)
sim POST /sim/faults '{"path":"/vm/migrate","action":"fail","error":"no route to the destination"}' >/dev/null
run 60 "$ZSCTL" --url "$RPC_URL" --wait ChangeHostState uuid="$H1" stateEvent=maintain
ok_if "a failed migration under JustMigrate fails the maintenance (KVM.1005, the cause named)" \
	"rc=$RC $(short "$ERR")" eval '[[ $RC -ne 0 ]] && has "$ERR" "KVM.1005" && has "$ERR" "no route to the destination"'
ok_if "the host is Enabled again" "" eval '[[ $(field state GetKvmHost uuid=$H1) == Enabled ]]'
ok_if "its VM Running on it, everything as before" "before: $BEFORE after: $(maint_state)" \
	eval '[[ $(field host_uuid GetVmInstance uuid=$KEEP) == "$H1" && "$BEFORE" == "$(maint_state)" ]]'
sim DELETE /sim/faults >/dev/null
ctl config update host.maintenance.policy bogus
ok_if "a policy that is none of the two: INVALID_ARGUMENT" "rc=$RC $(short "$ERR")" has "$ERR" "INVALID_ARGUMENT"

# a maintenance cut by a node killed in its middle: the host can change state again
ctl config reset host.maintenance.policy
sim POST /sim/faults '{"path":"/vm/migrate","action":"hang"}' >/dev/null
ctl --job ChangeHostState uuid="$H1" stateEvent=maintain
for _ in $(seq 100); do
	[[ $(field state GetKvmHost uuid="$H1") == PreMaintenance ]] && break
	sleep 0.1
done
kill -KILL "$(pgrep -P "$NODE_PID")"   # zsnode itself, under timeout
wait "$NODE_PID" 2>/dev/null
sim DELETE /sim/faults >/dev/null
if start_node --set "identity.admin_password=$ADMIN_PW" --set "KvmAgent.port=$SIM_PORT" \
	--set "SftpBackupStorage.port=$SIM_PORT"; then
	ok_if "after the restart the host is still PreMaintenance" "" \
		eval '[[ $(field state GetKvmHost uuid=$H1) == PreMaintenance ]]'
	ctl ChangeHostState uuid="$H1" stateEvent=enable
	ok_if "... and no maintenance runs it: enable makes it Enabled" "rc=$RC $(short "$ERR")" \
		eval '[[ $RC -eq 0 && $(field state GetKvmHost uuid=$H1) == Enabled ]]'
	ok_if "... its VM Running on it again (the reconcile asked its host)" "" wait_state "$KEEP" Running 20
else
	fail "zsnode starts again after being killed" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
fi

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary "$SUITE"
