# vm_lib.sh: what tests/vm's scripts share: a real zs-kvmsim and zsnode (tests/cli's
# cli_lib.sh), the README's "small cloud" built on them as written, calls in ZStack's
# command form, and the accounting a VM check compares: every host's free CPUs and
# memory, the local storage's room, the addresses in use, volumes, NICs, VM rows and the
# VMs each simulated host runs. Sourced after ZSNODE PLUGINS ZSCTL ZSWATCH KVMSIM README.
# shellcheck source=../cli/cli_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cli/cli_lib.sh"

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
	awk '$0=="## A small cloud on the simulator"{f=1;next} f && /^## /{exit} f' "$README" |
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

# json_num JSON KEY: a number of a one-line JSON answer (zsctl --json, the simulator's),
# 0 when it is absent (proto3 JSON leaves zeros out); read in the shell, as a python3 start
# costs half a second on a busy machine and these run in every poll of a check
json_num() {
	if [[ $1 =~ \"$2\":\"?(-?[0-9]+) ]]; then printf '%s' "${BASH_REMATCH[1]}"; else printf 0; fi
}

# VMs a simulated host runs (its name: h1, h2): "uuid:state" a line, sorted. The
# simulator writes each VM's state first ({"UUID":{"state":...); when the VMs read so
# do not match its count of them ("vms"), python3 reads the whole answer instead.
sim_vms() {
	local j rest out="" n=0
	j=$(sim GET "/sim/hosts/$1")
	rest=${j#*\"vmList\":}
	while [[ $rest =~ \"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\":\{\"state\":\"([A-Za-z]*)\"(.*) ]]; do
		out+="${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"$'\n'
		n=$((n + 1))
		rest=${BASH_REMATCH[3]}
	done
	if [[ $j == *'"vmList":'* && $n == "$(json_num "$j" vms)" ]]; then
		[[ -z $out ]] || sort <<<"${out%$'\n'}"
		return
	fi
	python3 -c '
import json, sys
h = json.load(sys.stdin)
for u, v in sorted((h.get("vmList") or {}).items()): print(u + ":" + v.get("state", ""))' <<<"$j"
}

# accounting: one line of everything a failed create must leave as it was
accounting() {
	local h a=""
	for h in "$H1" "$H2"; do
		ctl GetKvmHost uuid="$h" --json
		a+="host $(json_num "$OUT" availableCpu)/$(json_num "$OUT" availableMemory); "
	done
	a+="ps $(field available_capacity GetPrimaryStorage uuid="$PS"); "
	a+="ips $(count QueryUsedIp); volumes $(count QueryVolume); "
	a+="nics $(count QueryVmNic); vms $(count QueryVmInstance); "
	a+="sim $(json_num "$(sim GET /sim/hosts/h1)" vms)+$(json_num "$(sim GET /sim/hosts/h2)" vms)"
	printf '%s' "$a"
}

# vm_events: the vm/ events kept so far, "topic uuid" a line: the node's event log read
# back (Events/Replay, what zswatch --since replays) in one call; zswatch itself would wait
# for a pause in the live feed, which never comes while a host's pings fail
vm_events() {
	local rest re='"topic":"([^"]*)",[^{}]*"resourceUuid":"([^"]*)"(.*)'
	ctl zs.event.v1.Events/Replay topicPrefixes=vm/ limit=10000 --json
	rest=$OUT
	while [[ $rest =~ $re ]]; do   # each event's scalars come before its body
		printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
		rest=${BASH_REMATCH[3]}
	done
}

# wait_for SECONDS CMD...: until CMD succeeds (0) or the time is up (1)
wait_for() {
	local until=$((SECONDS + $1))
	shift
	while ((SECONDS < until)); do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

# has_event TOPIC UUID: true once the event log has it (an event is numbered in the log
# just after its change commits, so a check made right after a call polls a while)
has_event() {
	local event_line="$1 $2"
	wait_for 15 eval 'vm_events | grep -qx "$event_line"'
}
