# maint_lib.sh: what tests/maint's scripts share: a real zs-kvmsim and zsnode (tests/cli's
# cli_lib.sh), a cloud on them where VMs can move (one cluster of three KVM hosts h1..h3,
# NFS primary storage shared by them, a backup storage with an image, an L2 network
# bridged on every host with two L3 networks, an offering), calls in ZStack's command
# form (tests/vm's vm_lib.sh: sim, ctl, field, count, vm_events), and what a check
# compares: each host's free CPUs and memory, the VMs each simulated host runs, VM rows,
# NICs and addresses. Sourced after ZSNODE PLUGINS ZSCTL ZSWATCH KVMSIM.
# shellcheck source=../vm/vm_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../vm/vm_lib.sh"

# as the second account
ctl2() { XDG_CONFIG_HOME=$TMP/config2 run 60 "$ZSCTL" --url "$RPC_URL" "$@"; }

# second_account: the account "other" made and logged in, for ctl2
second_account() {
	STDIN=$'other-Pw-123\n' run 15 "$ZSCTL" --url "$RPC_URL" --password-stdin account create other
	STDIN=$'other-Pw-123\n' XDG_CONFIG_HOME=$TMP/config2 run 15 "$ZSCTL" --url "$RPC_URL" \
		--password-stdin login other
	ok_if "a second account, logged in" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
}

NODE_LIFETIME=400   # the node outlives the whole suite, also on a busy machine
# start_cloud [--set ...]: (not the README's cloud of vm_lib.sh) the simulator, a node, admin logged in, and the cloud; exits
# the test when any of it fails.
start_cloud() {
	"$KVMSIM" --port "$SIM_PORT" --hosts 3 >"$TMP/sim.log" 2>&1 &
	for _ in $(seq 100); do sim GET /sim/stats >/dev/null && break; sleep 0.05; done
	ADMIN_PW='maint-Test-pw1'
	if ! start_node --set "identity.admin_password=$ADMIN_PW" --set "KvmAgent.port=$SIM_PORT" \
		--set "SftpBackupStorage.port=$SIM_PORT" "$@"; then
		fail "zsnode starts" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
		summary "$SUITE"
		exit 1
	fi
	login admin "$ADMIN_PW"
	cat >"$TMP/cloud.sh" <<EOS
set -e
zsctl() { "$ZSCTL" --url "$RPC_URL" "\$@"; }
ZONE=\$(zsctl CreateZone name=zone1 --field uuid)
CLUSTER=\$(zsctl CreateCluster zoneUuid=\$ZONE name=cluster1 hypervisorType=KVM --field uuid)
for i in 1 2 3; do
	zsctl AddKvmHost clusterUuid=\$CLUSTER name=h\$i managementIp=127.0.1.\$i username=root password=password >/dev/null
done
PS=\$(zsctl AddPrimaryStorage zoneUuid=\$ZONE name=nfs type=NFS url=127.0.0.1:/nfs/primary --field uuid)
zsctl AttachPrimaryStorageToCluster primaryStorageUuid=\$PS clusterUuid=\$CLUSTER >/dev/null
curl -s -XPOST 127.0.0.1:$SIM_PORT/sim/hosts -d '{"name":"bs1","ip":"127.0.2.1","bsCapacity":"100G"}' >/dev/null
BS=\$(zsctl AddBackupStorage name=bs1 hostname=127.0.2.1 url=/zstack_bs username=root password=password --field uuid)
zsctl AttachBackupStorageToZone backupStorageUuid=\$BS zoneUuid=\$ZONE >/dev/null
IMAGE=\$(zsctl --wait AddImage name=cirros 'url=http://127.0.0.1/cirros.qcow2?size=2G&actualSize=500M' format=qcow2 backupStorageUuids=\$BS --field uuid)
L2=\$(zsctl CreateL2NoVlanNetwork zoneUuid=\$ZONE name=public physicalInterface=eth0 --field uuid)
zsctl AttachL2NetworkToCluster l2NetworkUuid=\$L2 clusterUuid=\$CLUSTER >/dev/null
L3=\$(zsctl CreateL3Network l2NetworkUuid=\$L2 name=guest --field uuid)
zsctl AddIpRange l3NetworkUuid=\$L3 name=r1 startIp=10.0.10.10 endIp=10.0.10.200 gateway=10.0.10.1 netmask=255.255.255.0 >/dev/null
L3B=\$(zsctl CreateL3Network l2NetworkUuid=\$L2 name=second --field uuid)
zsctl AddIpRange l3NetworkUuid=\$L3B name=r2 startIp=10.0.20.10 endIp=10.0.20.200 gateway=10.0.20.1 netmask=255.255.255.0 >/dev/null
OFFERING=\$(zsctl CreateInstanceOffering name=small cpuNum=1 memorySize=1073741824 --field uuid)
BIG=\$(zsctl CreateInstanceOffering name=big cpuNum=2 memorySize=2147483648 --field uuid)
H1=\$(zsctl QueryHost name=h1 --field uuid)
H2=\$(zsctl QueryHost name=h2 --field uuid)
H3=\$(zsctl QueryHost name=h3 --field uuid)
echo "ZONE=\$ZONE CLUSTER=\$CLUSTER PS=\$PS BS=\$BS IMAGE=\$IMAGE L2=\$L2 L3=\$L3 L3B=\$L3B OFFERING=\$OFFERING BIG=\$BIG H1=\$H1 H2=\$H2 H3=\$H3"
EOS
	run 150 bash "$TMP/cloud.sh"
	if [[ $RC -ne 0 ]]; then
		fail "the cloud is built" "rc=$RC $(short "$ERR")"
		summary "$SUITE"
		exit 1
	fi
	eval "$(tail -n 1 <<<"$OUT")"
	pass "the cloud is built (three hosts, NFS, an image, two L3 networks, offerings)"
}

# new_vm NAME [HOST_UUID]: a Running VM of the small offering on NFS; its uuid in VM
new_vm() {
	VM=$(field uuid CreateVmInstance name="$1" instanceOfferingUuid="$OFFERING" imageUuid="$IMAGE" \
		l3NetworkUuids="$L3" primaryStorageUuid="$PS" ${2:+hostUuid=$2})
}

# VMs a simulated host runs (h1, h2, h3): their uuids, sorted, one a line
sim_vm_uuids() { sim_vms "$1" | cut -d: -f1; }

# free CPUs/memory of a host: "cpu/memory"
host_free() {
	ctl GetKvmHost uuid="$1" --json
	printf '%s/%s\n' "$(json_num "$OUT" availableCpu)" "$(json_num "$OUT" availableMemory)"
}

# maint_state: one line of what a failed operation must leave as it was
maint_state() {
	local a=""
	a+="h1 $(host_free "$H1") h2 $(host_free "$H2") h3 $(host_free "$H3"); "
	a+="sim $(sim_vm_uuids h1 | tr '\n' ,) | $(sim_vm_uuids h2 | tr '\n' ,) | $(sim_vm_uuids h3 | tr '\n' ,); "
	ctl QueryVmInstance fields=uuid,state,host_uuid,last_host_uuid,cpu_num,memory_size sort=uuid limit=10000 --json
	a+="vms $OUT; "
	a+="nics $(count QueryVmNic); ips $(count QueryUsedIp)"
	printf '%s' "$a"
}

# wait_state VM STATE [SECONDS]: true once the VM is in STATE
wait_state() {
	local until=$((SECONDS + ${3:-20}))
	while ((SECONDS < until)); do
		[[ $(field state GetVmInstance uuid="$1") == "$2" ]] && return 0
		sleep 0.1
	done
	return 1
}

