#!/bin/bash
# vm_test.sh: the VM service against a real zsnode, a real zs-kvmsim and PostgreSQL, on
# the README's small cloud: CreateVmInstance with InstantStart (Running on a host that
# runs it, its root volume Ready there, a NIC with an address of the range, the host's and
# the storage's capacity taken by exactly the VM's), as a job showing its step; a fault
# at every step (agent error, HTTP error and a hang on /vm/start and on the volume's path,
# no capacity, no address left, no image), each failing the call naming the step and
# leaving capacity, addresses, volumes, NICs, VM rows and the hosts' VMs exactly as they
# were; the lifecycle with its events and refusals in the wrong state; Destroy, Recover
# and Expunge accounting; a second account; CreateStopped; the reconcile of a VM left
# Starting by a node that was killed.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6
# shellcheck source=vm_lib.sh
. "$(dirname "$0")/vm_lib.sh"

start_cloud
GIB=$((1 << 30))
BASE=$(accounting)
INIT_HOSTS=${BASE%%ps *}

# ---- CreateVmInstance, InstantStart ----
echo "# CreateVmInstance, InstantStart (${SECONDS}s)"
ctl CreateVmInstance name=vm1 instanceOfferingUuid="$OFFERING" imageUuid="$IMAGE" \
	l3NetworkUuids="$L3" --json
ok_if "CreateVmInstance vm1" "rc=$RC $(short "$OUT $ERR")" test "$RC" -eq 0
VM1=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])' <<<"$OUT" 2>/dev/null)
ctl GetVmInstance uuid="$VM1" --json
J=$OUT
# what a check reads of vm1, in one python3 start (each costs seconds on a busy machine):
# its host, NIC 0's address and MAC, root volume, state, and whether the address is in
# the range 192.168.10.10-200
read -r VM1_HOST VM1_IP VM1_MAC VM1_ROOT VM1_STATE VM1_IP_IN_RANGE < <(python3 -c '
import ipaddress, json, sys
d = json.load(sys.stdin)
nic = (d.get("vmNics") or [{}])[0]
ip = nic.get("ip", "")
try:
    a = ipaddress.ip_address(ip)
    inr = ipaddress.ip_address("192.168.10.10") <= a <= ipaddress.ip_address("192.168.10.200")
except ValueError:
    inr = False
print(" ".join(x or "-" for x in (d.get("hostUuid", ""), ip, nic.get("mac", ""),
      d.get("rootVolumeUuid", ""), d.get("state", ""), "yes" if inr else "no")))' <<<"$J" 2>/dev/null)
ok_if "vm1 is Running on h1 or h2" "$(short "$J")" \
	eval '[[ $VM1_STATE == Running && ( $VM1_HOST == "$H1" || $VM1_HOST == "$H2" ) ]]'
VM1_HNAME=h1
[[ $VM1_HOST == "$H2" ]] && VM1_HNAME=h2
ok_if "the simulated $VM1_HNAME runs vm1" "$(sim_vms $VM1_HNAME)" \
	eval 'sim_vms $VM1_HNAME | grep -qx "$VM1:Running"'
ok_if "vm1's NIC has an address of the range, a MAC fa:..., device 0" "$(short "$J")" \
	eval '[[ $VM1_IP_IN_RANGE == yes && $VM1_MAC == fa:* ]]'
ctl GetVolume uuid="$VM1_ROOT" --json
ok_if "vm1's root volume is Ready on its host, 2 GiB, of the image" "$(short "$OUT")" \
	eval 'has "$OUT" "\"status\":\"Ready\"" && has "$OUT" "\"hostUuid\":\"$VM1_HOST\"" && has "$OUT" "\"size\":\"$((2 * GIB))\"" && has "$OUT" "\"imageUuid\":\"$IMAGE\""'
AFTER=$(accounting)
# expected: the host's CPU -1 and memory -1 GiB, the storage -2 GiB, one more address,
# volume, NIC and VM, and the VM on the host
expect() {
	python3 - "$BASE" "$@" <<'PY'
import re, sys
base = sys.argv[1]
nums = [int(x) for x in re.findall(r"-?\d+", base)]
deltas = [int(x) for x in sys.argv[2:]]
out = base
vals = [n + d for n, d in zip(nums, deltas)]
parts = re.split(r"(-?\d+)", base)
i = 0
for k in range(len(parts)):
    if re.fullmatch(r"-?\d+", parts[k]):
        parts[k] = str(vals[i]); i += 1
print("".join(parts))
PY
}
if [[ $VM1_HNAME == h1 ]]; then
	WANT=$(expect -1 -$GIB 0 0 -$((2 * GIB)) 1 1 1 1 1 0)
else
	WANT=$(expect 0 0 -1 -$GIB -$((2 * GIB)) 1 1 1 1 0 1)
fi
ok_if "capacity taken by exactly vm1's: $WANT" "got $AFTER" test "$AFTER" = "$WANT"
ok_if "vm/created came for vm1" "$(short "$(vm_events)")" has_event vm/created "$VM1"

# ---- queries ----
echo "# queries (${SECONDS}s)"
ctl QueryVmInstance "vmNics.ip=$VM1_IP" --field uuid
ok_if "QueryVmInstance vmNics.ip=$VM1_IP finds vm1" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = "$VM1"
ctl QueryVmInstance "host.managementIp=127.0.1.${VM1_HNAME#h}" "vmNics.l3NetworkUuid=$L3" state=Running --field name
ok_if "QueryVmInstance host.managementIp=... vmNics.l3NetworkUuid=... state=Running" \
	"rc=$RC $(short "$OUT $ERR")" test "$OUT" = vm1
ctl QueryVmNic "vmInstanceUuid=$VM1" --field ip
ok_if "QueryVmNic vmInstanceUuid=vm1: its address" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = "$VM1_IP"
ctl UpdateVmInstance uuid="$VM1" name=web1 --field name
ok_if "UpdateVmInstance renames vm1" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = web1

# ---- as a job, its step shown as progress ----
echo "# as a job, its step shown as progress (${SECONDS}s)"
sim POST /sim/faults '{"path":"/vm/start","action":"delay","delayMs":2500,"times":1}' >/dev/null
ctl --job CreateVmInstance name=jobvm cpuNum=1 memorySize=$GIB imageUuid="$IMAGE" l3NetworkUuids="$L3"
JOB=$(grep -Eo '[0-9a-f-]{36}' <<<"$OUT" | head -n 1)
ok_if "CreateVmInstance --job answers a job at once" "rc=$RC $(short "$OUT $ERR")" test -n "$JOB"
SEEN=""
for _ in $(seq 60); do
	ctl job get "$JOB" --json
	has "$OUT" '"message":"start"' && SEEN=start
	has "$OUT" SUCCEEDED && break
	sleep 0.1
done
ok_if "the job shows its step (start) while the host starts the VM" "$(short "$OUT")" test "$SEEN" = start
ok_if "the job ends SUCCEEDED" "$(short "$OUT")" has "$OUT" SUCCEEDED
JOBVM=$(field uuid QueryVmInstance name=jobvm)
ctl --wait DestroyVmInstance uuid="$JOBVM"
ctl ExpungeVmInstance uuid="$JOBVM"
ok_if "the job's VM is destroyed and expunged" "rc=$RC $(short "$ERR")" test "$RC" -eq 0

# ---- a fault at every step: the call names it, and nothing is left ----
echo "# a fault at every step: the call names it, and nothing is left (${SECONDS}s)"
BASE=$(accounting)
# fault NAME STEP-TEXT [zsctl options] -- CreateVmInstance arguments: creates with the fault
# set beforehand, checks the failure names the step, then that everything is as before
fault_case() {
	local name=$1 step=$2 why=$3
	shift 3
	local opts=()
	while [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	local dflt=()
	[[ " $* " == *" imageUuid="* ]] || dflt+=(imageUuid="$IMAGE")
	[[ " $* " == *" l3NetworkUuids="* ]] || dflt+=(l3NetworkUuids="$L3")
	ctl "${opts[@]}" CreateVmInstance name="f-$name" "${dflt[@]}" "$@" --json
	ok_if "$name: CreateVmInstance fails naming step $step ($why)" "rc=$RC $(short "$OUT $ERR")" \
		eval '[[ $RC -ne 0 ]] && has "$OUT$ERR" "step $step" && has "$OUT$ERR" "$why"'
	sim DELETE /sim/faults >/dev/null
	local now=""
	for _ in $(seq 50); do   # a hung step's undo may still be on its way
		now=$(accounting)
		[[ $now == "$BASE" ]] && break
		sleep 0.2
	done
	ok_if "$name: capacity, addresses, volumes, NICs, VMs exactly as before" "want $BASE got $now" \
		test "$now" = "$BASE"
}
SMALL=(cpuNum=1 memorySize=$GIB dataDiskSizes=$GIB,$((2 * GIB)))
sim POST /sim/faults '{"path":"/vm/start","action":"fail","error":"libvirt: domain start refused"}' >/dev/null
fault_case start-agent-error start "libvirt: domain start refused" -- "${SMALL[@]}"
sim POST /sim/faults '{"path":"/vm/start","action":"http","status":500}' >/dev/null
fault_case start-http-error start "500" -- "${SMALL[@]}"
sim POST /sim/faults '{"path":"/vm/start","action":"hang"}' >/dev/null
fault_case start-hang start "DEADLINE_EXCEEDED" --timeout 8000 -- "${SMALL[@]}"
sim POST /sim/faults '{"path":"/localstorage/volume/createvolumefromcache","action":"fail","error":"disk full"}' >/dev/null
fault_case root-volume-agent-error root-volume "disk full" -- "${SMALL[@]}"
sim POST /sim/faults '{"path":"/localstorage/volume/createempty","action":"http","status":503}' >/dev/null
fault_case data-volume-http-error data-volumes "503" -- "${SMALL[@]}"
sim POST /sim/faults '{"path":"/localstorage/volume/createvolumefromcache","action":"hang"}' >/dev/null
fault_case root-volume-hang root-volume "DEADLINE_EXCEEDED" --timeout 8000 -- "${SMALL[@]}"
fault_case no-capacity allocate-host "RESOURCE_EXHAUSTED" -- cpuNum=1 memorySize=$((1024 * GIB))
fault_case no-image image "NOT_FOUND" -- cpuNum=1 memorySize=$GIB imageUuid=0b7e4c1a-0000-4000-8000-000000000001
# an L3 network with one address, taken: its NIC gets none (the first NIC's goes back)
TINY=$(field uuid CreateL3Network l2NetworkUuid="$L2" name=tiny)
ctl AddIpRange l3NetworkUuid="$TINY" name=one startIp=10.9.0.5 endIp=10.9.0.5 gateway=10.9.0.1 netmask=255.255.255.0
ctl AllocateIp l3NetworkUuid="$TINY"
BASE=$(accounting)
fault_case no-address nics "RESOURCE_EXHAUSTED" -- cpuNum=1 memorySize=$GIB l3NetworkUuids="$L3,$TINY"

# ---- the lifecycle of vm1 ----
echo "# the lifecycle of vm1 (${SECONDS}s)"
vm_state() { field state GetVmInstance uuid="$VM1"; }
ctl StopVmInstance uuid="$VM1" --field state
ok_if "StopVmInstance: Stopped" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Stopped
ctl GetVmInstance uuid="$VM1" --json
ok_if "a stopped VM keeps its host as last host, and has none" "$(short "$OUT")" \
	eval 'has "$OUT" "\"lastHostUuid\":\"$VM1_HOST\"" && ! has "$OUT" "\"hostUuid\""'
ok_if "the host no longer runs it" "$(sim_vms $VM1_HNAME)" eval '! sim_vms $VM1_HNAME | grep -q "$VM1"'
A=$(accounting)
ok_if "its host capacity is all back" "$A" eval '[[ $A == "$INIT_HOSTS"* ]]'
ctl StopVmInstance uuid="$VM1"
ok_if "StopVmInstance of a Stopped VM: FAILED_PRECONDITION naming Stopped" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" FAILED_PRECONDITION && has "$ERR" "is Stopped"'
ctl PauseVmInstance uuid="$VM1"
ok_if "PauseVmInstance of a Stopped VM: FAILED_PRECONDITION" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" FAILED_PRECONDITION'
ctl StartVmInstance uuid="$VM1" --json
ok_if "StartVmInstance: Running again on its host (its root volume is there)" "rc=$RC $(short "$OUT $ERR")" \
	eval 'has "$OUT" "\"state\":\"Running\"" && has "$OUT" "\"hostUuid\":\"$VM1_HOST\""'
ok_if "the host runs it again" "$(sim_vms $VM1_HNAME)" eval 'sim_vms $VM1_HNAME | grep -qx "$VM1:Running"'
ctl RebootVmInstance uuid="$VM1" --field state
ok_if "RebootVmInstance: Running" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running
ok_if "the host got /vm/reboot" "" eval 'sim GET "/sim/log?path=/vm/reboot" | grep -q "$VM1"'
ctl PauseVmInstance uuid="$VM1" --field state
ok_if "PauseVmInstance: Paused, and Paused on the host" "rc=$RC $(short "$OUT $ERR") $(sim_vms $VM1_HNAME)" \
	eval '[[ $OUT == Paused ]] && sim_vms $VM1_HNAME | grep -qx "$VM1:Paused"'
ctl RebootVmInstance uuid="$VM1"
ok_if "RebootVmInstance of a Paused VM: FAILED_PRECONDITION naming Paused" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" "is Paused"'
ctl ResumeVmInstance uuid="$VM1" --field state
ok_if "ResumeVmInstance: Running" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running
sim POST /sim/faults '{"path":"/vm/reboot","action":"fail","error":"guest agent gone"}' >/dev/null
ctl RebootVmInstance uuid="$VM1"
sim DELETE /sim/faults >/dev/null
ok_if "a reboot the host refuses fails with its error; the VM stays Running" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -ne 0 ]] && has "$ERR" "guest agent gone" && [[ $(vm_state) == Running ]]'
sim POST /sim/faults '{"path":"/vm/stop","action":"fail","error":"shutdown ignored","times":1}' >/dev/null
ctl StopVmInstance uuid="$VM1" type=Grace --field state
sim DELETE /sim/faults >/dev/null
ok_if "a graceful stop the guest ignores is forced: Stopped" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Stopped
ok_if "the host got a grace then a cold /vm/stop" "" \
	eval 'L=$(sim GET "/sim/log?path=/vm/stop"); has "$L" grace && has "$L" cold'
ctl StartVmInstance uuid="$VM1" --field state
ok_if "started again" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running
# two stops at once: the state moves by a conditional update, so exactly one passes
"$ZSCTL" --url "$RPC_URL" StopVmInstance uuid="$VM1" >"$TMP/stop1" 2>&1 &
P1=$!
"$ZSCTL" --url "$RPC_URL" StopVmInstance uuid="$VM1" >"$TMP/stop2" 2>&1 &
P2=$!
wait "$P1"
R1=$?
wait "$P2"
R2=$?
ok_if "two Stops at once: one stops it, the other is refused naming the state" \
	"$R1 $R2 $(short "$(cat "$TMP/stop1" "$TMP/stop2")")" \
	eval '(( (R1 == 0) + (R2 == 0) == 1 )) && cat "$TMP/stop1" "$TMP/stop2" | grep -q FAILED_PRECONDITION'
ctl StartVmInstance uuid="$VM1" --field state
ok_if "started again" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running

# ---- a second account: NOT_FOUND for vm1, nothing changes ----
echo "# a second account: NOT_FOUND for vm1, nothing changes (${SECONDS}s)"
ctl UpdateImage uuid="$IMAGE" isPublic=true
ctl CreateAccount name=bob password='Bob-pw-123'
BOB=$(field session Login name=bob password='Bob-pw-123')
for m in GetVmInstance StopVmInstance RebootVmInstance PauseVmInstance DestroyVmInstance \
	ExpungeVmInstance RecoverVmInstance StartVmInstance ResumeVmInstance UpdateVmInstance; do
	ctl --session "$BOB" "$m" uuid="$VM1"
	ok_if "bob: $m of admin's VM is NOT_FOUND" "rc=$RC $(short "$ERR")" has "$ERR" NOT_FOUND
done
ctl --session "$BOB" QueryVmInstance count=true --field total
ok_if "bob's QueryVmInstance sees none" "rc=$RC $(short "$OUT $ERR")" test "${OUT:-0}" = 0
ctl --session "$BOB" QueryVmNic "ip=$VM1_IP" count=true --field total
ok_if "bob's QueryVmNic sees none" "rc=$RC $(short "$OUT $ERR")" test "${OUT:-0}" = 0
S=$(vm_state)
ok_if "vm1 is still Running, on its host" "$S" eval '[[ $S == Running ]] && sim_vms $VM1_HNAME | grep -qx "$VM1:Running"'
ctl --session "$BOB" CreateVmInstance name=bobvm cpuNum=1 memorySize=$GIB imageUuid="$IMAGE" \
	l3NetworkUuids="$L3" --json
ok_if "bob creates a VM of his own (through the admin-only services, as the node)" \
	"rc=$RC $(short "$OUT $ERR")" has "$OUT" '"state":"Running"'
BOBVM=$(field uuid QueryVmInstance name=bobvm)
ctl --session "$BOB" QueryVmInstance --field name
ok_if "bob sees only bobvm" "rc=$RC $(short "$OUT")" test "$OUT" = bobvm
ctl GetVolume uuid="$(field rootVolumeUuid GetVmInstance uuid="$BOBVM")" --field ownerUuid
BOB_UUID=$(field uuid --session "$BOB" WhoAmI)
ok_if "bobvm's root volume is bob's" "$(short "$OUT") bob=$BOB_UUID" test "$OUT" = "$BOB_UUID"
ctl --session "$BOB" DestroyVmInstance uuid="$BOBVM"
ctl --session "$BOB" ExpungeVmInstance uuid="$BOBVM"
ok_if "bob destroys and expunges his VM" "rc=$RC $(short "$ERR")" test "$RC" -eq 0

# ---- Destroy, Recover, Expunge accounting ----
echo "# Destroy, Recover, Expunge accounting (${SECONDS}s)"
BEFORE=$(accounting)
ctl DestroyVmInstance uuid="$VM1" --field state
ok_if "DestroyVmInstance: Destroyed" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Destroyed
ok_if "the host no longer runs it" "$(sim_vms $VM1_HNAME)" eval '! sim_vms $VM1_HNAME | grep -q "$VM1"'
D=$(accounting)
if [[ $VM1_HNAME == h1 ]]; then
	WANT=$(BASE=$BEFORE expect 1 $GIB 0 0 0 -1 0 0 0 -1 0)
else
	WANT=$(BASE=$BEFORE expect 0 0 1 $GIB 0 -1 0 0 0 0 -1)
fi
ok_if "Destroy gives back the host's capacity and the address; volumes and NIC stay" \
	"want $WANT got $D" test "$D" = "$WANT"
ctl QueryVmNic "vmInstanceUuid=$VM1" --json
ok_if "the NIC stays, without an address" "$(short "$OUT")" eval '! has "$OUT" "\"ip\""'
for m in StartVmInstance StopVmInstance DestroyVmInstance; do
	ctl "$m" uuid="$VM1"
	ok_if "$m of a Destroyed VM: FAILED_PRECONDITION naming Destroyed" "rc=$RC $(short "$ERR")" \
		eval '[[ $RC -ne 0 ]] && has "$ERR" "is Destroyed"'
done
ctl RecoverVmInstance uuid="$VM1" --json
ok_if "RecoverVmInstance: Stopped with an address again" "rc=$RC $(short "$OUT $ERR")" \
	eval 'has "$OUT" "\"state\":\"Stopped\"" && has "$OUT" "\"ip\":\"192.168.10."'
N=$(count QueryUsedIp)
ok_if "one more address in use again" "$N after $D" \
	eval '[[ $N == $(( $(sed "s/.*ips \([0-9]*\).*/\1/" <<<"$D") + 1 )) ]]'
ctl DestroyVmInstance uuid="$VM1"
VOLS=$(count QueryVolume)
ctl ExpungeVmInstance uuid="$VM1" --json
ok_if "ExpungeVmInstance answers the VM as it was" "rc=$RC $(short "$OUT $ERR")" has "$OUT" "\"uuid\":\"$VM1\""
ok_if "its root volume is deleted" "" eval '[[ $(count QueryVolume) == $((VOLS - 1)) ]]'
ctl GetVmInstance uuid="$VM1"
ok_if "the VM is gone" "rc=$RC $(short "$ERR")" has "$ERR" NOT_FOUND
ctl QueryVmNic "vmInstanceUuid=$VM1" count=true --field total
ok_if "its NICs are gone" "rc=$RC $(short "$OUT")" test "${OUT:-0}" = 0
for t in vm/stateChanged vm/updated vm/destroyed vm/recovered vm/expunged; do
	ok_if "$t came for vm1" "$(short "$(vm_events)")" has_event "$t" "$VM1"
done

# ---- CreateStopped: Stopped, no host capacity kept, its host as last host ----
echo "# CreateStopped: Stopped, no host capacity kept, its host as last host (${SECONDS}s)"
BASE=$(accounting)
ctl CreateVmInstance name=cold1 cpuNum=2 memorySize=$GIB imageUuid="$IMAGE" l3NetworkUuids="$L3" \
	strategy=CreateStopped --json
ok_if "CreateStopped: Stopped, with a last host and no host" "rc=$RC $(short "$OUT $ERR")" \
	eval 'has "$OUT" "\"state\":\"Stopped\"" && has "$OUT" "\"lastHostUuid\"" && ! has "$OUT" "\"hostUuid\""'
COLD=$(field uuid QueryVmInstance name=cold1)
A=$(accounting)
ok_if "no host capacity is kept for it" "$A" eval '[[ $A == "$INIT_HOSTS"* ]]'
ctl StartVmInstance uuid="$COLD" --field state
ok_if "it starts" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running

# ---- a VM left Starting by a node that was killed is set to what its host says ----
echo "# a VM left Starting by a node that was killed is set to what its host says (${SECONDS}s)"
sim POST /sim/faults '{"path":"/vm/start","action":"hang"}' >/dev/null
"$ZSCTL" --url "$RPC_URL" --timeout 60000 CreateVmInstance name=stuck cpuNum=1 memorySize=$GIB \
	imageUuid="$IMAGE" l3NetworkUuids="$L3" >/dev/null 2>&1 &
STUCK=""
for _ in $(seq 100); do
	STUCK=$(field uuid QueryVmInstance name=stuck state=Starting 'hostUuid not null')
	[[ -n $STUCK ]] && sim GET "/sim/log?path=/vm/start" | grep -q "$STUCK" && break
	sleep 0.1
done
ok_if "a create hangs in Starting on its host" "$STUCK" test -n "$STUCK"
kill -KILL "$(pgrep -P "$NODE_PID")"   # zsnode itself, under timeout
wait "$NODE_PID" 2>/dev/null
sim DELETE /sim/faults >/dev/null
if start_node --set "identity.admin_password=$ADMIN_PW" --set "KvmAgent.port=$SIM_PORT" \
	--set "SftpBackupStorage.port=$SIM_PORT"; then
	S=""
	for _ in $(seq 100); do
		S=$(field state GetVmInstance uuid="$STUCK")
		[[ $S != Starting ]] && break
		sleep 0.1
	done
	ok_if "after the restart the VM left Starting is Stopped (its host does not run it)" "$S" test "$S" = Stopped
	ctl GetVmInstance uuid="$STUCK" --json
	ok_if "... without a host, its host as last host" "$(short "$OUT")" \
		eval 'has "$OUT" "\"lastHostUuid\"" && ! has "$OUT" "\"hostUuid\""'
	ctl StartVmInstance uuid="$STUCK" --field state
	ok_if "... and it starts" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Running
else
	fail "zsnode starts again after being killed" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
fi

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary vm
