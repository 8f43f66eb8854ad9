#!/bin/bash
# vmcascade_test.sh: VMs go with what they live on (zs.CascadeExtension of the VM service),
# against one real zsnode, zs-kvmsim and PostgreSQL for the whole suite, on the README's
# small cloud (tests/vm's vm_lib.sh). After each delete: the hosts' free CPUs and memory,
# the storage's room, the addresses in use, volumes, NICs, VM rows and the VMs each
# simulated host runs, exactly; what the delete answers; the vm/ events. In order:
#   a second account deletes nothing of the admin's (NOT_FOUND each time);
#   DeleteL3Network: a VM whose only network it is goes, a VM with another loses that NIC;
#   DeleteCluster failing halfway (/vm/destroy failing on h2): the VM done first is gone
#   whole, the other is as it was, the cluster and its hosts stay;
#   DeleteHost: its VMs go, the other host's stay;
#   DeletePrimaryStorage: the VMs whose root volume is on it go; a VM on NFS with a data
#   volume on it loses that volume and runs on;
#   DeleteImage: VMs made from it stay;
#   DeleteZone: every VM left, a Destroyed one too.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6
# shellcheck source=../vm/vm_lib.sh
. "$(dirname "$0")/../vm/vm_lib.sh"

start_cloud
GIB=$((1 << 30))

# The checks below spawn no python (slow to start on a loaded machine): zsctl's fields,
# grep and awk over the compact JSON of zsctl, zs-kvmsim and zswatch.

# acc: one line of what a delete must release exactly: each host's free CPUs and memory
# ("" for a host that is no more), the local storage's room, the addresses in use,
# volumes, NICs, VM rows, and the VMs each simulated host runs
acc() {
	local h a=""
	for h in "$H1" "$H2"; do
		ctl GetKvmHost uuid="$h" --json
		a+="host $(num availableCpu)/$(num availableMemory); "
	done
	a+="ps $(field availableCapacity GetPrimaryStorage uuid="$PS"); "
	a+="ips $(count QueryUsedIp); volumes $(count QueryVolume); "
	a+="nics $(count QueryVmNic); vms $(count QueryVmInstance); "
	a+="sim $(sim_count h1)+$(sim_count h2)"
	printf '%s' "$a"
}
# num FIELD: the number FIELD of the JSON in OUT ("" when there is none)
num() { grep -o "\"$1\":\"\?[0-9]*" <<<"$OUT" | grep -o '[0-9]*$'; }
sim_count() { sim GET "/sim/hosts/$1" | grep -o '"vms":[0-9]*' | grep -o '[0-9]*$'; }
# sim_runs HOST UUID: the simulated host runs that VM
sim_runs() { sim GET "/sim/hosts/$1" | grep -qF "\"$2\":{\"state\":\"Running\""; }
sim_has() { sim GET "/sim/hosts/$1" | grep -qF "\"$2\":"; }

# shift_acc SNAPSHOT D1 D2 ...: the acc line with each of its numbers moved by its delta,
# in order: h1 cpu, h1 memory, h2 cpu, h2 memory, ps, ips, volumes, nics, vms, sim h1,
# sim h2 (fewer deltas: the rest stay)
shift_acc() {
	local snap=$1
	shift
	awk -v d="$*" 'BEGIN { n = split(d, dl, " ") }
	{ out = ""; k = 0; s = $0
	  while (match(s, /-?[0-9]+/)) {
		k++; v = substr(s, RSTART, RLENGTH)
		if (k <= n) v = sprintf("%.0f", v + dl[k])
		out = out substr(s, 1, RSTART - 1) v; s = substr(s, RSTART + RLENGTH)
	  }
	  printf "%s%s", out, s }' <<<"$snap"
}

# vm NAME ARGS...: creates a VM of the offering from the image; its uuid in VMU
vm() {
	local name=$1
	shift
	VMU=$(field uuid CreateVmInstance name="$name" instanceOfferingUuid="$OFFERING" \
		imageUuid="$IMAGE" "$@")
	ok_if "CreateVmInstance $name" "rc=$RC $(short "$ERR")" test -n "$VMU"
}

# deleted: the "type:name" of a delete's answer (in OUT), one a line, sorted
deleted() { grep -o '"type":"[^"]*","name":"[^"]*"' <<<"$OUT" | sed 's/"type":"\([^"]*\)","name":"\([^"]*\)"/\1:\2/' | sort; }

# events: the vm/ events kept so far (zswatch's replay), one JSON a line, into EV;
# ev TOPIC UUID: one of them is about that VM
events() {
	run 20 "$ZSWATCH" --url "tcp://127.0.0.1:$JSON_PORT" --rpc-url "$RPC_URL" --since 0 \
		--timeout 1500 --json vm/
	EV=$OUT
}
ev() { grep -F "\"topic\":\"$1\"" <<<"$EV" | grep -qF "\"resourceUuid\":\"$2\""; }

# ---- a second account deletes nothing ----
echo "# a second account (${SECONDS}s)"
ctl CreateL3Network l2NetworkUuid="$L2" name=backend --field uuid
L3B=$OUT
ctl AddIpRange l3NetworkUuid="$L3B" name=b1 startIp=10.0.20.10 endIp=10.0.20.100 \
	gateway=10.0.20.1 netmask=255.255.255.0
vm a1 l3NetworkUuids="$L3" hostUuid="$H1"
A1=$VMU
S1=$(acc)
ctl CreateAccount name=bob password='Bob-pw-123'
BOB=$(field session Login name=bob password='Bob-pw-123')
for d in "DeleteL3Network uuid=$L3B" "DeleteL2Network uuid=$L2" "DeleteHost uuid=$H1" \
	"DeleteCluster uuid=$CLUSTER" "DeleteZone uuid=$ZONE" "DeletePrimaryStorage uuid=$PS"; do
	# shellcheck disable=SC2086
	ctl --session "$BOB" $d
	ok_if "bob: ${d%% *} of the admin's is refused" "rc=$RC $(short "$ERR")" \
		eval '[[ $RC -ne 0 ]] && { has "$ERR" NOT_FOUND || has "$ERR" PERMISSION_DENIED; }'
done
ok_if "bob changed nothing" "$S1 / $(acc)" test "$(acc)" = "$S1"
ok_if "a1 still Running on h1" "" eval 'sim_runs h1 "$A1"'

# ---- DeleteL3Network: a2 (only on it) goes, a1 loses its NIC there ----
echo "# DeleteL3Network (${SECONDS}s)"
ctl AttachL3NetworkToVm vmInstanceUuid="$A1" l3NetworkUuid="$L3B"
ok_if "a1 gets a second NIC on backend" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
vm a2 l3NetworkUuids="$L3B" hostUuid="$H2"
A2=$VMU
ok_if "a2 runs on h2" "" sim_runs h2 "$A2"
A1NIC=$(field uuid QueryVmNic vmInstanceUuid="$A1" l3NetworkUuid="$L3B")
ctl DeleteL3Network uuid="$L3B" --json
ok_if "DeleteL3Network succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
D=$(deleted)
ok_if "it answers its range, a2 and a1's NIC (by its address)" "$(short "$D")" \
	eval '[[ $(grep -c . <<<"$D") == 3 ]] && grep -qx "IpRange:b1" <<<"$D" && grep -qx "VmInstance:a2" <<<"$D" && grep -qx "VmNic:10\.0\.20\.[0-9]*" <<<"$D"'
ok_if "accounting as before a1's second NIC and a2: $S1" "got $(acc)" test "$(acc)" = "$S1"
ok_if "a1 runs on, with its first NIC only" "$(short "$(field l3NetworkUuid QueryVmNic vmInstanceUuid="$A1")")" \
	eval '[[ $(field l3NetworkUuid QueryVmNic vmInstanceUuid="$A1") == "$L3" ]] && sim_runs h1 "$A1"'
ok_if "h2 no longer runs a2" "" eval '! sim_has h2 "$A2"'
events
ok_if "vm/destroyed and vm/expunged for a2, vm/nicDetached for a1" "" \
	eval 'ev vm/expunged "$A2" && ev vm/destroyed "$A2" && ev vm/nicDetached "$A1"'
ctl QueryVmNic uuid="$A1NIC" count=true --field total
ok_if "a1's backend NIC is gone" "$OUT" test "${OUT:-0}" = 0

# ---- DeleteCluster failing halfway ----
echo "# DeleteCluster failing halfway (${SECONDS}s)"
vm c2 l3NetworkUuids="$L3" hostUuid="$H2"
C2=$VMU
S2=$(acc)
sim POST /sim/faults '{"host":"h2","path":"/vm/destroy","action":"fail","error":"libvirt: cannot destroy"}' >/dev/null
ctl DeleteCluster uuid="$CLUSTER"
ok_if "DeleteCluster fails, saying which VM and why" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" "$C2" && has "$ERR" "libvirt: cannot destroy"'
# a1 (made first, on h1) went whole; c2 is as it was
WANT=$(shift_acc "$S2" 1 $GIB 0 0 $((2 * GIB)) -1 -1 -1 -1 -1 0)
ok_if "a1 went whole, c2 is as it was: $WANT" "got $(acc)" test "$(acc)" = "$WANT"
ok_if "c2 is Running on h2, in the database and on the host" "" \
	eval '[[ $(field state GetVmInstance uuid="$C2") == Running && $(field hostUuid GetVmInstance uuid="$C2") == "$H2" ]] && sim_runs h2 "$C2"'
ctl GetCluster uuid="$CLUSTER" --field name
ok_if "the cluster and its hosts stay" "rc=$RC $(short "$ERR")" \
	eval '[[ $OUT == cluster1 && -n $(field name GetKvmHost uuid="$H2") && -n $(field name GetKvmHost uuid="$H1") ]]'
events
ok_if "a1 is gone (vm/expunged)" "" ev vm/expunged "$A1"
sim DELETE /sim/faults >/dev/null

# ---- DeleteHost: its VMs go ----
echo "# DeleteHost (${SECONDS}s)"
vm h1vm l3NetworkUuids="$L3" hostUuid="$H1"
H1VM=$VMU
S3=$(acc)
ctl GetPrimaryStorage uuid="$PS" --json
H2SHARE=$(grep -o "{\"hostUuid\":\"$H2\"[^}]*}" <<<"$OUT" | grep -o '"availableCapacity":"[0-9]*"' | grep -o '[0-9]*')
ctl DeleteHost uuid="$H2" --json
ok_if "DeleteHost h2 succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ok_if "it answers c2" "$(short "$OUT")" test "$(deleted)" = "VmInstance:c2"
# h2 is no more (its line reads "/") and its share of the local storage went with it
# (c2's root volume in it); c2's volume, address, NIC, row and simulated VM go
WANT=$(shift_acc "$S3" 0 0 0 0 $((-H2SHARE)) -1 -1 -1 -1 0 -1 | sed 's/host [0-9]*\/[0-9]*; ps/host \/; ps/')
ok_if "c2 went whole, h1vm stays: $WANT" "got $(acc)" test "$(acc)" = "$WANT"
ctl GetKvmHost uuid="$H2"
ok_if "h2 is NOT_FOUND" "rc=$RC $(short "$ERR")" has "$ERR" NOT_FOUND
events
ok_if "vm/expunged for c2, h1vm Running on h1" "" eval 'ev vm/expunged "$C2" && sim_runs h1 "$H1VM"'

# ---- DeletePrimaryStorage: the VMs whose root volume is on it go ----
echo "# DeletePrimaryStorage (${SECONDS}s)"
NFS=$(field uuid AddPrimaryStorage zoneUuid="$ZONE" name=nfs type=NFS url=127.0.0.1:/nfs/primary)
ctl AttachPrimaryStorageToCluster primaryStorageUuid="$NFS" clusterUuid="$CLUSTER"
vm n1 l3NetworkUuids="$L3" hostUuid="$H1" primaryStorageUuid="$NFS"
N1=$VMU
DATA=$(field uuid CreateDataVolume name=n1data size=$GIB primaryStorageUuid="$PS" hostUuid="$H1")
ctl AttachDataVolumeToVm vmInstanceUuid="$N1" volumeUuid="$DATA"
ok_if "n1 (root on NFS) gets a data volume on the local storage" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
VOLS=$(count QueryVolume)
IPS=$(count QueryUsedIp)
H1FREE=$(field availableCpu GetKvmHost uuid="$H1")/$(field availableMemory GetKvmHost uuid="$H1")
NFSFREE=$(field availableCapacity GetPrimaryStorage uuid="$NFS")
ctl DeletePrimaryStorage uuid="$PS" --json
ok_if "DeletePrimaryStorage succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
D=$(deleted)
ok_if "it answers h1vm, its volumes and n1data" "$(short "$D")" \
	eval 'grep -qx "VmInstance:h1vm" <<<"$D" && grep -qx "Volume:n1data" <<<"$D" && grep -qx "Volume:data1" <<<"$D"'
ok_if "h1vm is gone: its CPU, memory and address back; n1's root stays on NFS" "" \
	eval '[[ $(field availableCpu GetKvmHost uuid="$H1")/$(field availableMemory GetKvmHost uuid="$H1") == $((${H1FREE%/*} + 1))/$((${H1FREE#*/} + GIB)) && $(count QueryUsedIp) == $((IPS - 1)) && $(field availableCapacity GetPrimaryStorage uuid="$NFS") == "$NFSFREE" ]]'
ok_if "volumes: h1vm's root, data1 and n1data gone" "$(count QueryVolume) of $VOLS" \
	test "$(count QueryVolume)" = $((VOLS - 3))
ok_if "n1 runs on without n1data" "$(short "$(field dataVolumeUuids GetVmInstance uuid="$N1")")" \
	eval '[[ -z $(field dataVolumeUuids GetVmInstance uuid="$N1") ]] && sim_runs h1 "$N1" && ! sim_has h1 "$H1VM"'
ok_if "vm/expunged for h1vm, vm/volumeDetached for n1" "" \
	eval 'events; ev vm/expunged "$H1VM" && ev vm/volumeDetached "$N1"'

# ---- DeleteImage: VMs made from it stay ----
echo "# DeleteImage (${SECONDS}s)"
vm d1 l3NetworkUuids="$L3" hostUuid="$H1" primaryStorageUuid="$NFS"
D1=$VMU
ctl DestroyVmInstance uuid="$D1"
S5=$(acc)
ctl DeleteImage uuid="$IMAGE"
ok_if "DeleteImage succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ok_if "nothing changes for the VMs made from it" "$S5 / $(acc)" test "$(acc)" = "$S5"

# ---- DeleteZone: every VM left ----
echo "# DeleteZone (${SECONDS}s)"
ctl DeleteZone uuid="$ZONE" --json
ok_if "DeleteZone succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
D=$(deleted)
ok_if "it answers n1 and the Destroyed d1 among the rest" "$(short "$D")" \
	eval 'grep -qx "VmInstance:n1" <<<"$D" && grep -qx "VmInstance:d1" <<<"$D" && grep -qx "Host:h1" <<<"$D" && grep -qx "Cluster:cluster1" <<<"$D"'
ok_if "nothing left: no address, volume, NIC or VM, no VM on a simulated host" "$(acc)" \
	eval '[[ $(count QueryUsedIp) == 0 && $(count QueryVolume) == 0 && $(count QueryVmNic) == 0 && $(count QueryVmInstance) == 0 && $(sim_count h1) == 0 && $(sim_count h2) == 0 ]]'
events
ok_if "vm/expunged for n1 and d1" "" eval 'ev vm/expunged "$N1" && ev vm/expunged "$D1"'

summary vmcascade
