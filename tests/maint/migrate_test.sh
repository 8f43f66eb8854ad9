#!/bin/bash
# migrate_test.sh: MigrateVm against a real zsnode, a real zs-kvmsim and PostgreSQL, on a
# cluster of three hosts sharing NFS storage, through zsctl as a user would: the VM moves
# in the simulator and in the database, the capacity moves exactly (the source gets the
# VM's CPU and memory back, the destination loses them), events; a failing agent and a
# hung one (under a short deadline) leave everything exactly as before; wrong states,
# local storage and a second account are refused with nothing changed.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5
SUITE=maint_migrate
# shellcheck source=maint_lib.sh
. "$(dirname "$0")/maint_lib.sh"

start_cloud
new_vm web1 "$H1"
ok_if "a VM Running on h1" "$(short "$ERR")" eval '[[ -n $VM && $(field host_uuid GetVmInstance uuid=$VM) == "$H1" ]]'
WEB1=$VM

h1_before=$(host_free "$H1") h2_before=$(host_free "$H2")
ctl MigrateVm vmInstanceUuid="$WEB1" hostUuid="$H2"
ok_if "MigrateVm to h2" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ctl GetVmInstance uuid="$WEB1" --json
ok_if "the VM is Running on h2, last on h1" "$(short "$OUT")" eval 'has "$OUT" "\"hostUuid\":\"$H2\"" && has "$OUT" "\"lastHostUuid\":\"$H1\"" && has "$OUT" "\"state\":\"Running\""'
ok_if "the simulator moved it: on h2, not on h1" "$(sim_vm_uuids h1 | tr '\n' ' ') / $(sim_vm_uuids h2 | tr '\n' ' ')" \
	eval '! sim_vm_uuids h1 | grep -q "$WEB1" && sim_vm_uuids h2 | grep -q "$WEB1"'
IFS=/ read -r c1a m1a <<<"$h1_before"
IFS=/ read -r c2a m2a <<<"$h2_before"
IFS=/ read -r c1b m1b <<<"$(host_free "$H1")"
IFS=/ read -r c2b m2b <<<"$(host_free "$H2")"
ok_if "capacity moved exactly: h1 +1 CPU +1 GiB, h2 -1 CPU -1 GiB" \
	"h1 $h1_before -> $c1b/$m1b, h2 $h2_before -> $c2b/$m2b" \
	eval '((c1b == c1a + 1 && m1b == m1a + 1073741824 && c2b == c2a - 1 && m2b == m2a - 1073741824))'
ok_if "vm/migrated and vm/stateChanged (Migrating, Running) went out" "$(short "$(vm_events)")" \
	wait_for 15 eval 'EV=$(vm_events); grep -q "^vm/migrated $WEB1" <<<"$EV" && (( $(grep -c "^vm/stateChanged $WEB1" <<<"$EV") >= 2 ))'

# no host named: any but its own (h1 or h3)
ctl MigrateVm vmInstanceUuid="$WEB1"
to=$(field host_uuid GetVmInstance uuid="$WEB1")
ok_if "MigrateVm without a host: another host of the cluster" "rc=$RC to=$to $(short "$ERR")" \
	eval '[[ $RC -eq 0 && ( $to == "$H1" || $to == "$H3" ) ]]'
ctl MigrateVm vmInstanceUuid="$WEB1" hostUuid="$to"
ok_if "to the host it runs on: INVALID_ARGUMENT" "rc=$RC $(short "$ERR")" has "$ERR" "INVALID_ARGUMENT"
ctl MigrateVm vmInstanceUuid="$WEB1" hostUuid="$H2"
ok_if "and back to h2" "rc=$RC $(short "$ERR")" test "$RC" -eq 0

# an agent that fails the migration: everything as before
BEFORE=$(maint_state)
sim POST /sim/faults '{"path":"/vm/migrate","action":"fail","error":"libvirt: migration aborted","times":1}' >/dev/null
ctl MigrateVm vmInstanceUuid="$WEB1" hostUuid="$H3"
ok_if "a failing /vm/migrate: the call fails with VM.1009 and the agent's error" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" "VM.1009" && has "$ERR" "migration aborted"'
ok_if "the VM is Running on h2 again" "" wait_state "$WEB1" Running 10
AFTER=$(maint_state)
ok_if "and everything is as before (capacity, simulator, rows, addresses)" "before: $BEFORE after: $AFTER" test "$BEFORE" = "$AFTER"

# an agent that never answers, under a short deadline
sim POST /sim/faults '{"path":"/vm/migrate","action":"hang","times":1}' >/dev/null
run 30 "$ZSCTL" --url "$RPC_URL" --timeout 1500 MigrateVm vmInstanceUuid="$WEB1" hostUuid="$H3"
ok_if "a hung /vm/migrate: DEADLINE_EXCEEDED at the deadline" "rc=$RC ${MS}ms $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" "DEADLINE_EXCEEDED" && ((MS < 5000))'
ok_if "the VM is Running on h2 again" "" wait_state "$WEB1" Running 10
sleep 0.5
AFTER=$(maint_state)
ok_if "and everything is as before" "before: $BEFORE after: $AFTER" test "$BEFORE" = "$AFTER"

# wrong states
ctl StopVmInstance uuid="$WEB1"
ctl MigrateVm vmInstanceUuid="$WEB1" hostUuid="$H3"
ok_if "a Stopped VM: FAILED_PRECONDITION naming the state" "rc=$RC $(short "$ERR")" \
	eval 'has "$ERR" "FAILED_PRECONDITION" && has "$ERR" "Stopped"'
ctl StartVmInstance uuid="$WEB1"

# a VM on a host's local storage is refused, and says why
LOCAL=$(field uuid AddPrimaryStorage zoneUuid="$ZONE" name=local type=LocalStorage url=/var/lib/zstack/local)
ctl AttachPrimaryStorageToCluster primaryStorageUuid="$LOCAL" clusterUuid="$CLUSTER"
LVM=$(field uuid CreateVmInstance name=onlocal instanceOfferingUuid="$OFFERING" imageUuid="$IMAGE" \
	l3NetworkUuids="$L3" primaryStorageUuid="$LOCAL" hostUuid="$H1")
BEFORE=$(maint_state)
ctl MigrateVm vmInstanceUuid="$LVM" hostUuid="$H2"
ok_if "a VM on local storage: FAILED_PRECONDITION VM.1010 saying LocalStorage" "rc=$RC $(short "$ERR")" \
	eval '[[ -n $LVM ]] && has "$ERR" "VM.1010" && has "$ERR" "LocalStorage"'
ok_if "and nothing changed" "before: $BEFORE after: $(maint_state)" eval '[[ "$BEFORE" == "$(maint_state)" ]]'

# a second account: NOT_FOUND, nothing changed
second_account
ctl2 MigrateVm vmInstanceUuid="$WEB1" hostUuid="$H3"
ok_if "another account's MigrateVm: NOT_FOUND" "rc=$RC $(short "$ERR")" has "$ERR" "NOT_FOUND"
ok_if "and nothing changed" "" eval '[[ "$BEFORE" == "$(maint_state)" ]]'

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary "$SUITE"
