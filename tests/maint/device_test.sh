#!/bin/bash
# device_test.sh: a VM's devices against a real zsnode, a real zs-kvmsim and PostgreSQL:
# AttachDataVolumeToVm / DetachDataVolumeFromVm (the VM, the volume service and the
# simulated host agree), AttachL3NetworkToVm / DetachL3NetworkFromVm (a NIC with an
# address on the host; detached, the address is given back), ChangeInstanceOffering of a
# Stopped VM; a failing agent leaves everything as before; wrong states and a second
# account are refused with nothing changed; each change publishes its vm/ event.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5
SUITE=maint_device
# shellcheck source=maint_lib.sh
. "$(dirname "$0")/maint_lib.sh"

# what host h1's agent has of VM $1: its volumes and NIC macs
sim_devices() {
	sim GET /sim/hosts/h1 | python3 -c '
import json, sys
v = (json.load(sys.stdin).get("vmList") or {}).get(sys.argv[1]) or {}
print("volumes", sorted(v.get("volumes", {})), "nics", sorted(v.get("nics", {})))' "$1"
}
# everything a failed device operation must leave as it was
devices() {
	printf '%s; vm %s %s; vol %s %s; %s' "$(maint_state)" \
		"$(field data_volume_uuids GetVmInstance uuid="$VM" | tr '\n' ,)" "$(count QueryVmNic vm_instance_uuid="$VM")" \
		"$(field vm_uuid GetVolume uuid="$VOL")" "$(field vm_uuid GetVolume uuid="$VOL2")" "$(sim_devices "$VM")"
}

start_cloud
second_account
new_vm web "$H1"
VOL=$(field uuid CreateDataVolume name=d1 size=1073741824 primaryStorageUuid="$PS")
VOL2=$(field uuid CreateDataVolume name=d2 size=1073741824 primaryStorageUuid="$PS")
ok_if "a VM Running on h1 and two data volumes" "$(short "$ERR")" eval '[[ -n $VM && -n $VOL && -n $VOL2 ]]'

# data volumes
ctl AttachDataVolumeToVm vmInstanceUuid="$VM" volumeUuid="$VOL"
ok_if "AttachDataVolumeToVm" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ok_if "the VM lists it, the volume names the VM, the host's agent has it" "$(short "$(devices)")" \
	eval '[[ $(field data_volume_uuids GetVmInstance uuid=$VM) == "$VOL" && $(field vm_uuid GetVolume uuid=$VOL) == "$VM" ]] && has "$(sim_devices $VM)" "$VOL"'
ctl AttachDataVolumeToVm vmInstanceUuid="$VM" volumeUuid="$VOL"
ok_if "the same again: FAILED_PRECONDITION" "rc=$RC $(short "$ERR")" has "$ERR" "FAILED_PRECONDITION"
BEFORE=$(devices)
sim POST /sim/faults '{"path":"/vm/attachdatavolume","action":"fail","error":"disk bus full","times":1}' >/dev/null
ctl AttachDataVolumeToVm vmInstanceUuid="$VM" volumeUuid="$VOL2"
ok_if "a failing agent: VM.1011 with its error" "rc=$RC $(short "$ERR")" \
	eval 'has "$ERR" "VM.1011" && has "$ERR" "disk bus full"'
ok_if "and everything as before (the VM, both volumes, the host)" "before: $BEFORE after: $(devices)" \
	eval '[[ "$BEFORE" == "$(devices)" ]]'

# a second account sees none of it
for c in "AttachDataVolumeToVm vmInstanceUuid=$VM volumeUuid=$VOL2" "DetachDataVolumeFromVm uuid=$VOL" \
	"AttachL3NetworkToVm vmInstanceUuid=$VM l3NetworkUuid=$L3B" "ChangeInstanceOffering vmInstanceUuid=$VM instanceOfferingUuid=$BIG" \
	"DetachL3NetworkFromVm vmNicUuid=$(field uuid QueryVmNic vm_instance_uuid="$VM")"; do
	# shellcheck disable=SC2086
	ctl2 $c
	ok_if "another account's ${c%% *}: NOT_FOUND" "rc=$RC $(short "$ERR")" has "$ERR" "NOT_FOUND"
done
ok_if "and nothing changed" "before: $BEFORE after: $(devices)" eval '[[ "$BEFORE" == "$(devices)" ]]'

sim POST /sim/faults '{"path":"/vm/detachdatavolume","action":"fail","error":"device busy","times":1}' >/dev/null
ctl DetachDataVolumeFromVm uuid="$VOL"
ok_if "a failing detach: VM.1011, still attached everywhere" "rc=$RC $(short "$ERR")" \
	eval 'has "$ERR" "device busy" && [[ "$BEFORE" == "$(devices)" ]]'
ctl DetachDataVolumeFromVm uuid="$VOL" vmUuid="$VM"
ok_if "DetachDataVolumeFromVm: gone from the VM, the volume and the host" "rc=$RC $(short "$ERR $(devices)")" \
	eval '[[ $RC -eq 0 && -z $(field data_volume_uuids GetVmInstance uuid=$VM) && -z $(field vm_uuid GetVolume uuid=$VOL) ]] && ! has "$(sim_devices $VM)" "$VOL"'
ctl DetachDataVolumeFromVm uuid="$VOL"
ok_if "detached again: FAILED_PRECONDITION" "rc=$RC $(short "$ERR")" has "$ERR" "FAILED_PRECONDITION"

# NICs
IPS=$(count QueryUsedIp)
ctl AttachL3NetworkToVm vmInstanceUuid="$VM" l3NetworkUuid="$L3B"
NIC=$(field uuid QueryVmNic vm_instance_uuid="$VM" l3_network_uuid="$L3B")
IP=$(field ip QueryVmNic uuid="$NIC")
MAC=$(field mac QueryVmNic uuid="$NIC")
ok_if "AttachL3NetworkToVm: a second NIC with an address of the range, on the host" "rc=$RC $IP $MAC $(short "$ERR")" \
	eval '[[ $RC -eq 0 && $IP == 10.0.20.* && $(count QueryVmNic vm_instance_uuid=$VM) == 2 && $(count QueryUsedIp) == $((IPS + 1)) ]] && has "$(sim_devices $VM)" "$MAC"'
ctl AttachL3NetworkToVm vmInstanceUuid="$VM" l3NetworkUuid="$L3B"
ok_if "the same L3 again: FAILED_PRECONDITION" "rc=$RC $(short "$ERR")" has "$ERR" "FAILED_PRECONDITION"
ctl DetachL3NetworkFromVm vmNicUuid="$NIC"
ok_if "DetachL3NetworkFromVm: the NIC goes, from the host too, its address given back" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -eq 0 && $(count QueryVmNic vm_instance_uuid=$VM) == 1 && $(count QueryUsedIp) == $IPS ]] && ! has "$(sim_devices $VM)" "$MAC"'
BEFORE=$(devices)
sim POST /sim/faults '{"path":"/vm/attachnic","action":"fail","error":"no such bridge","times":1}' >/dev/null
ctl AttachL3NetworkToVm vmInstanceUuid="$VM" l3NetworkUuid="$L3B"
ok_if "a failing attachnic: VM.1011, no NIC, no address kept" "rc=$RC $(short "$ERR")" \
	eval 'has "$ERR" "no such bridge" && [[ "$BEFORE" == "$(devices)" ]]'

# the offering
ctl ChangeInstanceOffering vmInstanceUuid="$VM" instanceOfferingUuid="$BIG"
ok_if "ChangeInstanceOffering of a Running VM: FAILED_PRECONDITION naming Running" "rc=$RC $(short "$ERR")" \
	eval 'has "$ERR" "FAILED_PRECONDITION" && has "$ERR" "Running"'
ctl StopVmInstance uuid="$VM"
ctl ChangeInstanceOffering vmInstanceUuid="$VM" instanceOfferingUuid="$BIG"
ok_if "Stopped: it takes the offering's 2 CPUs and 2 GiB" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -eq 0 && $(field cpu_num GetVmInstance uuid=$VM) == 2 && $(field memory_size GetVmInstance uuid=$VM) == 2147483648 ]]'
ctl AttachDataVolumeToVm vmInstanceUuid="$VM" volumeUuid="$VOL2"
ok_if "a volume attached to the Stopped VM" "rc=$RC $(short "$ERR")" \
	eval '[[ $RC -eq 0 && $(field vm_uuid GetVolume uuid=$VOL2) == "$VM" ]]'
ctl StartVmInstance uuid="$VM" hostUuid="$H2"
CPU=$(sim GET /sim/hosts/h2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["vmList"][sys.argv[1]]["cpuNum"])' "$VM" 2>/dev/null)
ok_if "started again with 2 CPUs on its host" "rc=$RC cpu=$CPU $(short "$ERR")" eval '[[ $RC -eq 0 && $CPU == 2 ]]'

for t in volumeAttached volumeDetached nicAttached nicDetached offeringChanged; do
	ok_if "vm/$t went out" "$(short "$(vm_events)")" has_event "vm/$t" "$VM"
done

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary "$SUITE"
