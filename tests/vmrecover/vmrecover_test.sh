#!/bin/bash
# vmrecover_test.sh: a node SIGKILLed in the middle of a step, restarted on the same data
# folder, leaves nothing behind: a create cut while its data volume was Creating (the
# simulator hangs the volume's file) is undone by the VM reconcile and the volume
# service's own recovery together (host capacity, storage room, addresses, volumes, NICs,
# rows exactly as before, the file deleted on its host, the room returned once); an
# address allocated for that create just before the kill (AllocateIp with its NIC key
# and VM) is given back; a DeleteVolume cut while its file was being deleted is finished.
# AllocateIp and ReleaseIp are idempotent by the NIC key. /vm/start (create and
# StartVmInstance) sends the data volumes with their install paths. A migration killed
# before the agent moved the VM (hang) leaves it on its source, one killed after (lose:
# moved, never answered) on its destination, each with one reservation.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6
# shellcheck source=../vm/vm_lib.sh
. "$(dirname "$0")/../vm/vm_lib.sh"
NODE_LIFETIME=200

start_cloud
GIB=$((1 << 30))
SETS=(--set "identity.admin_password=$ADMIN_PW" --set "KvmAgent.port=$SIM_PORT"
	--set "SftpBackupStorage.port=$SIM_PORT")
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>/dev/null; }
new_uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }

# kill_restart: SIGKILL zsnode itself (under timeout), clear the faults, start it again
# on the same data folder and log in
kill_restart() {
	kill -KILL "$(pgrep -P "$NODE_PID")"
	wait "$NODE_PID" 2>/dev/null
	sim DELETE /sim/faults >/dev/null
	if ! start_node "${SETS[@]}"; then
		fail "zsnode starts again after being killed" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
		summary vmrecover
		exit 1
	fi
	login admin "$ADMIN_PW"
}

# settle WANT: waits (30 s at most) for the accounting to be WANT; prints what it is
settle() {
	local now="" until=$((SECONDS + 30))
	while ((SECONDS < until)); do
		now=$(accounting)
		[[ $now == "$1" ]] && break
		sleep 0.2
	done
	printf '%s' "$now"
}

# ---- AllocateIp and ReleaseIp by the NIC key ----
echo "# AllocateIp and ReleaseIp by the NIC key (${SECONDS}s)"
USED0=$(count QueryUsedIp)
K1=$(new_uuid)
VMK=$(new_uuid)
IP1=$(field ip AllocateIp l3NetworkUuid="$L3" nicUuid="$K1" vmUuid="$VMK")
IP1B=$(field ip AllocateIp l3NetworkUuid="$L3" nicUuid="$K1" vmUuid="$VMK")
ok_if "AllocateIp repeated with the same NIC key answers the same address" "$IP1 / $IP1B" \
	eval '[[ -n $IP1 && $IP1 == "$IP1B" ]]'
N=$(count QueryUsedIp)
ok_if "... and holds one address" "$USED0 -> $N" test "$N" -eq $((USED0 + 1))
N_USED=$(count QueryUsedIp uuid="$K1")
ok_if "... under the key as its uuid, once" "$N_USED" test "$N_USED" = 1
OTHER=$(field uuid CreateL3Network l2NetworkUuid="$L2" name=other)
ctl AddIpRange l3NetworkUuid="$OTHER" name=o startIp=10.20.0.10 endIp=10.20.0.20 gateway=10.20.0.1 \
	netmask=255.255.255.0
ctl AllocateIp l3NetworkUuid="$OTHER" nicUuid="$K1"
ok_if "the key of an address of another L3 network: ALREADY_EXISTS NETWORK.1009" \
	"rc=$RC $(short "$ERR")" eval 'has "$ERR" "NETWORK.1009"'
ctl ReleaseIp l3NetworkUuid="$L3" ip="$IP1" nicUuid="$K1"
ok_if "ReleaseIp with the key gives it back" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ctl ReleaseIp l3NetworkUuid="$L3" ip="$IP1" nicUuid="$K1"
ok_if "ReleaseIp repeated: NOT_FOUND" "rc=$RC $(short "$ERR")" eval 'has "$ERR" "NOT_FOUND"'
K2=$(new_uuid)
ctl AllocateIp l3NetworkUuid="$L3" ip="$IP1" nicUuid="$K2"
ctl ReleaseIp l3NetworkUuid="$L3" ip="$IP1" nicUuid="$K1"
ok_if "a release replayed after the address went to another NIC frees nothing" \
	"rc=$RC $(count QueryUsedIp uuid="$K2")" eval 'has "$ERR" "NOT_FOUND" && [[ $(count QueryUsedIp uuid="$K2") == 1 ]]'
ctl ReleaseIp l3NetworkUuid="$L3" nicUuid="$K2"
ok_if "ReleaseIp by the key alone" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ctl DeleteL3Network uuid="$OTHER"
N=$(count QueryUsedIp)
ok_if "addresses as before" "$USED0 -> $N" test "$N" = "$USED0"

# ---- /vm/start sends the data volumes with their install paths ----
echo "# /vm/start sends the data volumes with their install paths (${SECONDS}s)"
ctl CreateVmInstance name=disks cpuNum=1 memorySize=$GIB imageUuid="$IMAGE" l3NetworkUuids="$L3" \
	dataDiskSizes=$GIB --json
DISKS=$(jq_py 'd["uuid"]' <<<"$OUT")
ok_if "a VM with a data volume is created" "rc=$RC $(short "$OUT $ERR")" test -n "$DISKS"
ctl GetVmInstance uuid="$DISKS" --json
DATA=$(jq_py 'd["dataVolumeUuids"][0]' <<<"$OUT")
DPATH=$(field install_path GetVolume uuid="$DATA")
# the install path each /vm/start of the VM gave its data volume, one a line
start_paths() {
	sim GET "/sim/log?path=/vm/start" | python3 -c '
import json, sys
vm = sys.argv[1]
for e in json.load(sys.stdin)["entries"]:
    c = e.get("cmd") or {}
    if c.get("vmInstanceUuid") != vm: continue
    print(" ".join("%s=%s" % (d.get("volumeUuid"), d.get("installPath", "")) for d in c.get("dataVolumes") or []))' "$DISKS"
}
P=$(start_paths)
ok_if "the create's /vm/start has the data volume with its install path" "path=$DPATH log=$(short "$P")" \
	eval '[[ -n $DPATH && $P == "$DATA=$DPATH" ]]'
ctl StopVmInstance uuid="$DISKS"
ctl StartVmInstance uuid="$DISKS" --field state
P=$(start_paths | tail -n 1)
ok_if "StartVmInstance's /vm/start too" "rc=$RC path=$DPATH log=$(short "$P")" \
	eval '[[ $RC -eq 0 && $P == "$DATA=$DPATH" ]]'

# ---- one SIGKILL in the middle of four operations ----
# a create whose data volume is Creating (its file hangs), with an address allocated for
# its NIC just before the kill (the reply lost); a DeleteVolume whose file deletion hangs;
# a migration from h1 the agent never ran (hang); a migration from h2 the agent ran but
# never answered (lose)
echo "# one SIGKILL in the middle of four operations (${SECONDS}s)"
NFS=$(field uuid AddPrimaryStorage zoneUuid="$ZONE" name=nfs type=NFS url=127.0.0.1:/nfs/primary)
ctl AttachPrimaryStorageToCluster primaryStorageUuid="$NFS" clusterUuid="$CLUSTER"
mover() {
	field uuid CreateVmInstance name="$1" cpuNum=1 memorySize=$GIB imageUuid="$IMAGE" \
		l3NetworkUuids="$L3" primaryStorageUuid="$NFS" hostUuid="$2"
}
STAY=$(mover stay "$H1")
MOVED=$(mover moved "$H2")
ok_if "two VMs on NFS, Running on h1 and h2" "$STAY $MOVED" eval '[[ -n $STAY && -n $MOVED ]]'
LONE=$(field uuid CreateDataVolume name=lone size=$GIB primaryStorageUuid="$PS" hostUuid="$H1")
ok_if "a data volume is created" "$LONE" test -n "$LONE"
BASE=$(accounting)
sim POST /sim/faults '{"faults":[{"path":"/localstorage/volume/createempty","action":"hang"},
	{"path":"/localstorage/delete","action":"hang"},
	{"host":"h1","path":"/vm/migrate","action":"hang"},
	{"host":"h2","path":"/vm/migrate","action":"lose"}]}' >/dev/null
bg() { "$ZSCTL" --url "$RPC_URL" --timeout 60000 "$@" >/dev/null 2>&1 & }
bg CreateVmInstance name=cut cpuNum=1 memorySize=$GIB imageUuid="$IMAGE" l3NetworkUuids="$L3" \
	dataDiskSizes=$GIB primaryStorageUuid="$PS"
bg DeleteVolume uuid="$LONE"
bg MigrateVm vmInstanceUuid="$STAY" hostUuid="$H2"
bg MigrateVm vmInstanceUuid="$MOVED" hostUuid="$H1"
CUT="" CREATING="" DEL="" S1="" S2=""
logged() { sim GET "/sim/log?path=$1" | grep -q "$2"; }
UNTIL=$((SECONDS + 40))
while ((SECONDS < UNTIL)); do
	[[ -n $CUT ]] || CUT=$(field uuid QueryVmInstance name=cut state=Starting 'hostUuid not null')
	[[ -n $CREATING ]] || CREATING=$(field uuid QueryVolume type=Data status=Creating)
	DEL=$(field status GetVolume uuid="$LONE")
	S1=$(field state GetVmInstance uuid="$STAY")
	S2=$(field state GetVmInstance uuid="$MOVED")
	[[ -n $CUT && -n $CREATING && $DEL == Deleting && $S1 == Migrating && $S2 == Migrating ]] &&
		logged /localstorage/volume/createempty "$CREATING" && logged /localstorage/delete "$LONE" &&
		logged /vm/migrate "$STAY" && logged /vm/migrate "$MOVED" && break
	sleep 0.1
done
echo "# cut=$CUT creating=$CREATING lone=$DEL stay=$S1 moved=$S2 (${SECONDS}s)"
ok_if "the create hangs with its data volume Creating on the host" "vm=$CUT volume=$CREATING" \
	eval '[[ -n $CUT && -n $CREATING ]]'
ok_if "the delete hangs with the volume Deleting" "$DEL" test "$DEL" = Deleting
ok_if "both migrations hang with their VMs Migrating" "$S1 $S2" test "$S1 $S2" = "Migrating Migrating"
# what the NIC step would have allocated just before the kill (its reply lost)
LOST=$(field ip AllocateIp l3NetworkUuid="$L3" nicUuid="$(new_uuid)" vmUuid="$CUT")
ok_if "an address is allocated for the cut VM's NIC" "$LOST" test -n "$LOST"
kill_restart
# expected: the lone volume gone (its GiB back, one volume less), "moved" on h1 (h1 one
# CPU and a GiB less, h2 more; the simulator's h1 one VM more, h2 one less), the rest as
# before
WANT=$(python3 - "$BASE" <<'PY'
import re, sys
base = sys.argv[1]
g = 1 << 30
m = re.match(r"host (\d+)/(\d+); host (\d+)/(\d+); ps (\d+); ips (\d+); volumes (\d+); "
             r"nics (\d+); vms (\d+); sim (\d+)\+(\d+)$", base)
v = [int(x) for x in m.groups()]
print("host %d/%d; host %d/%d; ps %d; ips %d; volumes %d; nics %d; vms %d; sim %d+%d" % (
    v[0] - 1, v[1] - g, v[2] + 1, v[3] + g, v[4] + g, v[5], v[6] - 1, v[7], v[8], v[9] + 1,
    v[10] - 1))
PY
)
A=$(settle "$WANT")
ok_if "after the restart: host capacity, storage room, addresses, volumes, NICs, VMs exactly as expected" \
	"want $WANT got $A" test "$A" = "$WANT"
ok_if "the cut VM's row is gone" "$(count QueryVmInstance uuid="$CUT")" \
	test "$(count QueryVmInstance uuid="$CUT")" = 0
ok_if "no volume is left Creating or Deleting" "$(count QueryVolume 'status?=Creating,Deleting')" \
	test "$(count QueryVolume 'status?=Creating,Deleting')" = 0
ok_if "the Creating volume's file was deleted on its host" \
	"$(short "$(sim GET "/sim/log?path=/localstorage/delete")")" logged /localstorage/delete "$CREATING"
ok_if "the node says the volume was deleted at start, its room returned once" \
	"$(grep -m2 "$CREATING" "$NODE_ERR" | tr '\n' ' ')" \
	eval 'grep -q "volume $CREATING was Creating at start: deleted, [0-9]* bytes" "$NODE_ERR"'
ctl GetVmInstance uuid="$STAY" --json
ok_if "hang: the VM is Running on h1, where the simulator runs it" "$(short "$OUT")" \
	eval '[[ $(jq_py "d[\"state\"]" <<<"$OUT") == Running && $(jq_py "d[\"hostUuid\"]" <<<"$OUT") == "$H1" ]] && sim_vms h1 | grep -qx "$STAY:Running"'
ctl GetVmInstance uuid="$MOVED" --json
ok_if "lose: the VM is Running on h1 (the simulator moved it), h2 its last host" "$(short "$OUT")" \
	eval '[[ $(jq_py "d[\"state\"]" <<<"$OUT") == Running && $(jq_py "d[\"hostUuid\"]" <<<"$OUT") == "$H1" && $(jq_py "d[\"lastHostUuid\"]" <<<"$OUT") == "$H2" ]] && sim_vms h1 | grep -qx "$MOVED:Running"'
ctl CreateVmInstance name=after cpuNum=1 memorySize=$GIB imageUuid="$IMAGE" l3NetworkUuids="$L3" \
	dataDiskSizes=$GIB primaryStorageUuid="$PS" --field state
ok_if "a VM with a data volume is created after it" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running
ctl MigrateVm vmInstanceUuid="$STAY" hostUuid="$H2" --field host_uuid
ok_if "... and the VM whose migration was cut migrates" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = "$H2"

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary vmrecover
