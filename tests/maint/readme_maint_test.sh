#!/bin/bash
# readme_maint_test.sh: README.md's "Moving VMs: live migration and host maintenance" run
# as written after its "A small cloud on the simulator", against a real zsnode and zs-kvmsim (the simulator on a
# free port instead of 7070): every command succeeds (those it shows failing fail as it
# says), and what it shows holds: the migration, the maintenance with at most 2
# migrations at once, JustMigrate's failure, the devices and the offering.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6
# shellcheck source=../vm/vm_lib.sh
. "$(dirname "$0")/../vm/vm_lib.sh"

start_cloud
awk '$0=="## Moving VMs: live migration and host maintenance"{f=1;next} f && /^## /{exit} f' \
	"$README" | awk '/^```sh/{c=1;next} /^```/{c=0} c' >"$TMP/walk.sh"
ok_if "README.md has the migration and maintenance walk-through" "$(wc -l <"$TMP/walk.sh") lines" \
	eval '(( $(wc -l <"$TMP/walk.sh") >= 40 )) && grep -q MigrateVm "$TMP/walk.sh"'
sed -i "s/127\.0\.0\.1:7070/127.0.0.1:$SIM_PORT/g" "$TMP/walk.sh"
cat >"$TMP/run.sh" <<EOS
set -e
zsctl() { "$ZSCTL" --url "$RPC_URL" "\$@"; }
ZONE=$ZONE CLUSTER=$CLUSTER L2=$L2 L3=$L3
. "$TMP/walk.sh"
EOS
run 180 bash "$TMP/run.sh"
ok_if "every command of the migration and maintenance walk-through succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ok_if "the failing migration says why, the VM as before" "$(short "$ERR")" \
	eval 'has "$ERR" "VM.1009" && has "$ERR" "libvirt: migration aborted"'
ok_if "the maintenance ran at most 2 migrations at once" "$(short "$OUT")" has "$OUT" '"max":2'
ok_if "JustMigrate failed the maintenance, the host Enabled again" "$(short "$ERR")" \
	eval 'has "$ERR" "KVM.1005" && has "$ERR" "no route to h2"'
H1=$(field uuid QueryHost name=h1)
APP1=$(field uuid QueryVmInstance name=app1)
ok_if "h1 ends Enabled" "" eval '[[ $(field state GetKvmHost uuid=$H1) == Enabled ]]'
ok_if "app1 ends Running with 2 CPUs" "" \
	eval '[[ $(field state GetVmInstance uuid=$APP1) == Running && $(field cpu_num GetVmInstance uuid=$APP1) == 2 ]]'
ok_if "its data volume is detached again, and its second NIC gone" "" \
	eval '[[ -z $(field vm_uuid QueryVolume name=appdata) && $(count QueryVmNic vm_instance_uuid=$APP1) == 1 ]]'

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary readme_maint
