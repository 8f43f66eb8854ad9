#!/bin/bash
# readme_vm_test.sh: README-vm.md's walk-through run as written, after README.md's "A small
# cloud on the simulator", against a real zsnode and zs-kvmsim (the simulator on a free
# port instead of 7070): every command succeeds (the failing create of the fault section
# fails as it says), and what it shows holds: web1 Running then expunged, web2 never kept,
# the watcher saw the VM's events.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md README-vm.md
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6 README_VM=$7
# shellcheck source=vm_lib.sh
. "$(dirname "$0")/vm_lib.sh"

start_cloud
awk '/^```sh/{c=1;next} /^```/{c=0} c' "$README_VM" >"$TMP/vmwalk.sh"
ok_if "README-vm.md has its walk-through" "$(wc -l <"$TMP/vmwalk.sh") lines" \
	eval '(( $(wc -l <"$TMP/vmwalk.sh") >= 20 )) && grep -q CreateVmInstance "$TMP/vmwalk.sh"'
sed -i "s/127\.0\.0\.1:7070/127.0.0.1:$SIM_PORT/g" "$TMP/vmwalk.sh"
cat >"$TMP/run.sh" <<EOS
set -e
zsctl() { "$ZSCTL" --url "$RPC_URL" "\$@"; }
zswatch() { "$ZSWATCH" --url tcp://127.0.0.1:$JSON_PORT --rpc-url "$RPC_URL" --timeout 30000 "\$@"; }
L3=$L3
. "$TMP/vmwalk.sh"
EOS
run 150 bash "$TMP/run.sh"
ok_if "every command of README-vm.md succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ok_if "web1 was Running on a host" "$(short "$OUT")" has "$OUT" Running
ok_if "the failed create names its step and the agent's error" "$(short "$ERR")" \
	eval 'has "$ERR" "step start" && has "$ERR" "libvirt: no space"'
for t in vm/created vm/stateChanged vm/destroyed vm/recovered vm/expunged; do
	ok_if "the watcher printed $t" "$(short "$OUT")" has "$OUT" "$t"
done
ctl QueryVmInstance count=true --field total
ok_if "no VM is left (web1 expunged, web2 never kept)" "rc=$RC $(short "$OUT")" test "${OUT:-0}" = 0
ctl QueryVolume count=true --field total
ok_if "only the README's data volume is left" "rc=$RC $(short "$OUT")" test "$OUT" = 1

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary readme_vm
