#!/bin/bash
# vmload_test.sh: many CreateVmInstance in flight at once (vmload_fire), on the README's
# small cloud (two simulated hosts): once on an L3 network with fewer addresses than
# calls, once until the hosts' capacity runs out; then a node killed with SIGKILL while
# creates wait on a slow /vm/start, and started again on the same database. After each:
# every success Running with one NIC, one address and its root volume, every failure
# RESOURCE_EXHAUSTED, no address twice, no host over-committed and its free capacity
# exactly its VMs' complement, NICs, addresses, volumes, the storage's room and the
# hosts' VMs exactly the successes' (vmload_check.py); after the restart no VM is left
# Starting and the same accounting holds.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md vmload_fire; VMLOAD_N (1000)
# the calls of a wave.
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6 FIRE=$7
CHECK=$(dirname "$0")/vmload_check.py
N=${VMLOAD_N:-1000}
# shellcheck source=../vm/vm_lib.sh
. "$(dirname "$0")/../vm/vm_lib.sh"

SETS=(--set rpc.max_timeout=600000 --set vm.sync.interval=0)
start_cloud "${SETS[@]}"
MIB=$((1 << 20))
RATIO=$(field value GetGlobalConfig category=kvm name=cpuOverProvisioningRatio)
RATIO=${RATIO:-10}

# snapshot: the queries vmload_check.py reads, into $TMP/acct
snapshot() {
	mkdir -p "$TMP/acct"
	ctl QueryVmInstance limit=10000 --json && printf '%s' "$OUT" >"$TMP/acct/vms.json"
	ctl QueryVmNic limit=10000 --json && printf '%s' "$OUT" >"$TMP/acct/nics.json"
	ctl QueryVolume limit=10000 --json && printf '%s' "$OUT" >"$TMP/acct/volumes.json"
	ctl QueryUsedIp limit=10000 --json && printf '%s' "$OUT" >"$TMP/acct/usedips.json"
	ctl GetKvmHost uuid="$H1" --json && printf '%s' "$OUT" >"$TMP/acct/h1.json"
	ctl GetKvmHost uuid="$H2" --json && printf '%s' "$OUT" >"$TMP/acct/h2.json"
	sim GET /sim/hosts/h1 >"$TMP/acct/sim1.json"
	sim GET /sim/hosts/h2 >"$TMP/acct/sim2.json"
}
# accounting WHAT [states]: vmload_check.py's checks, each a pass or a fail here
check_all() {
	snapshot
	local line
	while IFS= read -r line; do
		case $line in
		"ok   "*) pass "$1: ${line#ok   }" ;;
		"FAIL "*) fail "$1: ${line#FAIL }" ;;
		"note "*) echo "     $1: ${line#note }" ;;
		esac
	done < <(python3 "$CHECK" "$TMP/acct" "$RATIO" "${2:-Running}" 2>&1)
}
ps_free() { field available_capacity GetPrimaryStorage uuid="$PS"; }
BASE_IPS=$(count QueryUsedIp)
BASE_VOLS=$(count QueryVolume)
printf '{"ips": %d, "volumes": %d}' "$BASE_IPS" "$BASE_VOLS" >"$TMP/base.json"
mkdir -p "$TMP/acct" && cp "$TMP/base.json" "$TMP/acct/base.json"
PS0=$(ps_free)
ROOT=$(field size GetImage uuid="$IMAGE")

# fire NAME L3 CPU MEMORY: N creates in flight at once; OKS and ERRS the counts
fire() {
	local t0=$SECONDS
	timeout -k 5 240 "$FIRE" "$RPC_URL" admin "$ADMIN_PW" "$N" 200000 "$1" "$IMAGE" "$2" "$3" "$4" \
		>"$TMP/$1.out" 2>"$TMP/$1.err" &
	local fp=$!
	if [[ -n ${VMLOAD_DEBUG:-} ]]; then
		sleep 5
		SOCK=$(grep unix_socket_directories "$DATA/pg/zsnode.conf" | cut -d"'" -f2)
		su postgres -c "psql -h '$SOCK' -p 5432 -U zsnode zsnode -c \"select state, wait_event_type, wait_event, now()-xact_start as x, left(query,150) from pg_stat_activity where datname='zsnode'\"" 
		gdb -p "$(pgrep -P "$NODE_PID")" -batch -ex "thread apply all bt 12" >"/tmp/vmload-gdb-$1.txt" 2>&1
	fi
	wait "$fp"
	FIRE_RC=$?
	OKS=$(grep -c '^OK ' "$TMP/$1.out")
	ERRS=$(grep -c '^ERR ' "$TMP/$1.out")
	echo "     $1: $N calls in $((SECONDS - t0)) s: $OKS succeeded, $ERRS failed ($(cat "$TMP/$1.err"))"
}

# ---- 1. an L3 network of 100 addresses, N creates ----
SMALL=$(field uuid CreateL3Network l2NetworkUuid="$L2" name=hundred)
ctl AddIpRange l3NetworkUuid="$SMALL" name=r startIp=10.40.0.10 endIp=10.40.0.109 \
	gateway=10.40.0.1 netmask=255.255.255.0
fire ip "$SMALL" 1 $((64 * MIB))
ok_if "ip: every call ended in time" "rc=$FIRE_RC" test "$FIRE_RC" -eq 0
ok_if "ip: $N answers" "$OKS + $ERRS" test $((OKS + ERRS)) -eq "$N"
ok_if "ip: some succeeded, at most the 100 addresses" "$OKS" eval '((OKS > 0 && OKS <= 100))'
BADERR=$(grep '^ERR ' "$TMP/ip.out" | grep -v RESOURCE_EXHAUSTED | head -n 3)
ok_if "ip: every failure is RESOURCE_EXHAUSTED" "$(short "$BADERR")" test -z "$BADERR"
ok_if "ip: VM rows = successes" "$(count QueryVmInstance)" test "$(count QueryVmInstance)" -eq "$OKS"
check_all ip
ok_if "ip: the storage's room less exactly the successes' root volumes" "$PS0 - $OKS x $ROOT" \
	test "$(ps_free)" = $((PS0 - OKS * ROOT))
OK1=$OKS

# ---- 2. until the hosts are full: N more on an L3 network with room ----
WIDE=$(field uuid CreateL3Network l2NetworkUuid="$L2" name=wide)
ctl AddIpRange l3NetworkUuid="$WIDE" name=r startIp=10.50.0.2 endIp=10.50.7.254 \
	gateway=10.50.0.1 netmask=255.255.248.0
fire cap "$WIDE" 1 $((64 * MIB))
ok_if "cap: every call ended in time" "rc=$FIRE_RC" test "$FIRE_RC" -eq 0
ok_if "cap: $N answers" "$OKS + $ERRS" test $((OKS + ERRS)) -eq "$N"
ok_if "cap: some succeeded, fewer than asked" "$OKS" eval '((OKS > 0 && OKS < N))'
BADERR=$(grep '^ERR ' "$TMP/cap.out" | grep -v RESOURCE_EXHAUSTED | head -n 3)
ok_if "cap: every failure is RESOURCE_EXHAUSTED" "$(short "$BADERR")" test -z "$BADERR"
ok_if "cap: VM rows = successes" "$(count QueryVmInstance)" test "$(count QueryVmInstance)" -eq $((OK1 + OKS))
check_all cap
ok_if "cap: the storage's room less exactly the successes' root volumes" "$PS0 - $((OK1 + OKS)) x $ROOT" \
	test "$(ps_free)" = $((PS0 - (OK1 + OKS) * ROOT))
ctl CreateVmInstance name=one-more cpuNum=1 memorySize=$((64 * MIB)) imageUuid="$IMAGE" l3NetworkUuids="$WIDE"
ok_if "cap: the hosts are full: one more create is RESOURCE_EXHAUSTED" "rc=$RC $(short "$ERR")" \
	has "$ERR" RESOURCE_EXHAUSTED

# ---- 3. a node killed with SIGKILL while creates wait on /vm/start, then restarted ----
# room for the creates: the first wave's VMs go
for u in $(grep '^OK ' "$TMP/ip.out" | cut -d' ' -f2 | head -n 30); do
	ctl DestroyVmInstance uuid="$u" && ctl ExpungeVmInstance uuid="$u"
done
check_all "before the kill"
# half the root volumes are slow too: some creates are killed before their addresses
sim POST /sim/faults '{"faults":[{"path":"/vm/start","action":"delay","delayMs":4000},
	{"path":"/localstorage/volume/createvolumefromcache","action":"delay","delayMs":8000,"fraction":0.5}]}' >/dev/null
N=40
timeout -k 5 120 "$FIRE" "$RPC_URL" admin "$ADMIN_PW" "$N" 100000 kill "$IMAGE" "$WIDE" 1 $((64 * MIB)) \
	>"$TMP/kill.out" 2>"$TMP/kill.err" &
FIRE_PID=$!
# until some wait on /vm/start and some on their root volume (a VM without its NIC yet)
for _ in $(seq 150); do
	(($(sim GET "/sim/log?path=/vm/start" | grep -o '"kill-' | wc -l) >= 3 &&
		$(count QueryVmInstance) - $(count QueryVmNic) >= 3)) && break
	sleep 0.1
done
STARTING=$(count QueryVmInstance state=Starting)
ok_if "creates are in flight (Starting) when the node is killed" "$STARTING" test "$STARTING" -gt 0
kill -KILL "$(pgrep -P "$NODE_PID")"   # zsnode itself, under timeout
wait "$NODE_PID" 2>/dev/null
wait "$FIRE_PID" 2>/dev/null
sim DELETE /sim/faults >/dev/null
# the delayed answers (8 s at most) leave the simulator before the node is back on the
# same callback address: until none is pending, 8.5 s at most
for _ in $(seq 85); do
	[[ $(sim GET /sim/stats) =~ \"callbacksPending\":0[,}] ]] && break
	sleep 0.1
done
if start_node --set "identity.admin_password=$ADMIN_PW" --set "KvmAgent.port=$SIM_PORT" \
	--set "SftpBackupStorage.port=$SIM_PORT" "${SETS[@]}"; then
	LEFT=""
	for _ in $(seq 150); do
		LEFT=$(count QueryVmInstance 'state?=Starting,Stopping,Destroying,Expunging')
		[[ $LEFT == 0 ]] && break
		sleep 0.2
	done
	ok_if "after the restart no VM is left in a passing state" "$LEFT" test "$LEFT" = 0
	check_all "after the restart" Running,Stopped
	grep -E "at start|unfinished|left in a passing" "$NODE_ERR" | cut -c1-160 | sort | uniq -c | head -n 8 | sed 's/^/     /'
	UNDONE=$(grep -c "create unfinished: undone" "$NODE_ERR")
	ok_if "creates killed before their addresses were undone (volumes, room, capacity, row)" \
		"$(grep -m3 "create unfinished" "$NODE_ERR")" test "$UNDONE" -gt 0
else
	fail "zsnode starts again after being killed" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
fi

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary vmload
