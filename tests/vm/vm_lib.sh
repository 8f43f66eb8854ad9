# vm_lib.sh: what tests/vm's scripts share: a real zs-kvmsim and zsnode (tests/cli's
# cli_lib.sh), the README's "small cloud" built on them as written, calls in ZStack's
# command form, and the accounting a VM check compares: every host's free CPUs and
# memory, the local storage's room, the addresses in use, volumes, NICs, VM rows and the
# VMs each simulated host runs. Sourced after ZSNODE PLUGINS ZSCTL ZSWATCH KVMSIM README.
# shellcheck source=../cli/cli_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cli/cli_lib.sh"

read -r SIM_PORT <<<"$(free_ports 1)"
sim() { curl -s -m 10 -X "$1" "127.0.0.1:$SIM_PORT$2" ${3:+-d "$3"}; }
ctl() {
	run 60 "$ZSCTL" --url "$RPC_URL" "$@"
	[[ -z ${VM_TIMES:-} ]] || echo "$MS ms: $*" >>"$VM_TIMES"
}
# field NAME CMD...: one value of a call's answer ("" when it failed)
field() {
	local f=$1
	shift
	ctl "$@" --field "$f"
	[[ $RC -eq 0 ]] && printf '%s' "$OUT"
}

# count QUERY [conditions]: how many match (0 when none)
count() {
	local n
	n=$(field total "$@" count=true)
	printf '%s' "${n:-0}"
}

NODE_LIFETIME=1200  # the node outlives the whole suite, also on a busy machine
# start_cloud [--set ...]: the simulator (3 hosts), a node, admin logged in, and the
# README's small cloud (zone1, cluster1 with h1 and h2, local storage, bs1 with cirros,
# the guest L3 network, the offering small); exits the test when any of it fails.
start_cloud() {
	"$KVMSIM" --port "$SIM_PORT" --hosts 3 >"$TMP/sim.log" 2>&1 &
	SIM_PID=$!
	for _ in $(seq 100); do sim GET /sim/stats >/dev/null && break; sleep 0.05; done
	ADMIN_PW='vm-Test-pw1'
	if ! start_node --set "identity.admin_password=$ADMIN_PW" --set "KvmAgent.port=$SIM_PORT" \
		--set "SftpBackupStorage.port=$SIM_PORT" "$@"; then
		fail "zsnode starts" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
		summary vm
		exit 1
	fi
	login admin "$ADMIN_PW"
	awk '$0=="## A small cloud on the simulator"{f=1} f && /^## Layout/{exit} f' "$README" |
		awk '/^```sh/{c=1;next} /^```/{c=0} c' | grep -v '^zswatch' >"$TMP/walk.sh"
	sed -i "s/127\.0\.0\.1:7070/127.0.0.1:$SIM_PORT/g" "$TMP/walk.sh"
	cat >"$TMP/cloud.sh" <<EOS
set -e
zsctl() { "$ZSCTL" --url "$RPC_URL" "\$@"; }
. "$TMP/walk.sh" >/dev/null
echo "ZONE=\$ZONE CLUSTER=\$CLUSTER PS=\$PS BS=\$BS L2=\$L2 L3=\$L3"
EOS
	run 120 bash "$TMP/cloud.sh"
	if [[ $RC -ne 0 ]]; then
		fail "the README's small cloud is built" "rc=$RC $(short "$ERR")"
		summary vm
		exit 1
	fi
	eval "$(tail -n 1 <<<"$OUT")"
	IMAGE=$(field uuid QueryImage name=cirros)
	OFFERING=$(field uuid QueryInstanceOffering name=small)
	H1=$(field uuid QueryHost name=h1)
	H2=$(field uuid QueryHost name=h2)
	pass "the README's small cloud is built"
}

# VMs a simulated host runs (its name: h1, h2): "uuid:state" a line, sorted
sim_vms() {
	sim GET "/sim/hosts/$1" | python3 -c '
import json, sys
h = json.load(sys.stdin)
for u, v in sorted((h.get("vmList") or {}).items()): print(u + ":" + v.get("state", ""))'
}

# accounting: one line of everything a failed create must leave as it was
accounting() {
	local h a=""
	for h in "$H1" "$H2"; do
		ctl GetKvmHost uuid="$h" --json
		a+="host $(python3 -c 'import json,sys; d=json.load(sys.stdin); print("%s/%s" % (d.get("availableCpu", 0), d.get("availableMemory", 0)))' <<<"$OUT" 2>/dev/null); "
	done
	a+="ps $(field available_capacity GetPrimaryStorage uuid="$PS"); "
	a+="ips $(count QueryUsedIp); volumes $(count QueryVolume); "
	a+="nics $(count QueryVmNic); vms $(count QueryVmInstance); "
	a+="sim $(sim_vms h1 | wc -l)+$(sim_vms h2 | wc -l)"
	printf '%s' "$a"
}

# events NAME: the vm/ events kept so far, "topic uuid" a line (replayed by zswatch)
vm_events() {
	run 20 "$ZSWATCH" --url "tcp://127.0.0.1:$JSON_PORT" --rpc-url "$RPC_URL" --since 0 \
		--timeout 1500 --json vm/
	python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"): continue
    e = json.loads(line)
    print(e.get("topic", ""), e.get("resourceUuid", e.get("resource_uuid", "")))' <<<"$OUT"
}
