#!/bin/bash
# readme_walk_test.sh: the README's "A small cloud on the simulator" run as written, in
# ZStack's command form, against a real zsnode and a real zs-kvmsim (its hosts on
# 127.0.1.1..3, the simulator on a free port instead of 7070): every command succeeds,
# the cloud is what the README says (two Connected hosts, local storage on both, an image
# Ready on the backup storage, br_eth0 on both hosts, an L3 range with one address
# taken, an offering), then `zsctl DeleteZone` takes everything under the zone.
# Arguments: zsnode plugins-dir zsctl zswatch zs-kvmsim README.md
ZSNODE=$1 PLUGINS=$2 ZSCTL=$3 ZSWATCH=$4 KVMSIM=$5 README=$6
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"

"$KVMSIM" --port "$SIM_PORT" --hosts 3 >"$TMP/sim.log" 2>&1 &
for _ in $(seq 100); do curl -s "127.0.0.1:$SIM_PORT/sim/stats" >/dev/null && break; sleep 0.05; done
ADMIN_PW='readme-Walk-pw1'
if ! start_node --set "identity.admin_password=$ADMIN_PW" --set "KvmAgent.port=$SIM_PORT" \
	--set "SftpBackupStorage.port=$SIM_PORT"; then
	fail "zsnode starts" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
	summary readme_walk
	exit 1
fi
login admin "$ADMIN_PW"
ok_if "zsctl login admin" "rc=$RC $(short "$ERR")" test "$RC" -eq 0

# the walk-through, exactly as the README has it but for the simulator's port
awk '$0=="## A small cloud on the simulator"{f=1;next} f && /^## /{exit} f' "$README" |
	awk '/^```sh/{c=1;next} /^```/{c=0} c' >"$TMP/walk.sh"
ok_if "the README has the walk-through" "$(wc -l <"$TMP/walk.sh") lines" \
	eval '(( $(wc -l <"$TMP/walk.sh") >= 15 )) && grep -q "^ZONE=" "$TMP/walk.sh"'
sed -i "s/127\.0\.0\.1:7070/127.0.0.1:$SIM_PORT/g" "$TMP/walk.sh"
cat >"$TMP/run.sh" <<EOS
set -e
zsctl() { "$ZSCTL" --url "$RPC_URL" "\$@"; }
# zswatch as the README runs it, bounded: what happened under zone/ and host/, then it ends
zswatch() { "$ZSWATCH" --url tcp://127.0.0.1:$JSON_PORT --rpc-url "$RPC_URL" --count 3 --timeout 5000 "\$@"; }
. "$TMP/walk.sh"
wait
echo "ZONE=\$ZONE"
EOS
run 120 bash "$TMP/run.sh"
ok_if "every command of the walk-through succeeds" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ZONE=$(sed -n 's/^ZONE=//p' <<<"$OUT")
ok_if "the watcher replayed the zone's creation" "$(short "$OUT")" has "$OUT" "zone/created"

ctl() { run 30 "$ZSCTL" --url "$RPC_URL" "$@"; }
ctl QueryHost cluster.name=cluster1 status=Connected --field name
ok_if "QueryHost: h1 and h2 Connected in cluster1" "rc=$RC $(short "$OUT $ERR")" \
	eval '[[ $OUT == $'"'"'h1\nh2'"'"' ]]'
ctl QueryPrimaryStorage zone.name=zone1 --field total_capacity
ok_if "the local storage has both hosts' disks (2 TiB)" "rc=$RC $(short "$OUT $ERR")" \
	test "$OUT" = 2199023255552
ctl QueryVolume primary_storage.name=local --field size
ok_if "the 10 GiB volume lives on it" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = 10737418240
ctl QueryImage name=cirros --field status
ok_if "the image is Ready" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = Ready
ctl QueryBackupStorage name=bs1 --field available_capacity
ok_if "the backup storage lost the image's 500 MiB" "rc=$RC $(short "$OUT $ERR")" \
	test "$OUT" = $((100 * 1024 * 1024 * 1024 - 500 * 1024 * 1024))
for h in h1 h2; do
	B=$(curl -s "127.0.0.1:$SIM_PORT/sim/hosts/$h")
	ok_if "$h has bridge br_eth0" "$(short "$B")" has "$B" '"br_eth0"'
done
ctl QueryUsedIp l3_network.name=guest count=true --field total
ok_if "one address of the guest L3 is taken" "rc=$RC $(short "$OUT $ERR")" test "$OUT" = 1

ctl DeleteZone uuid="$ZONE" --json
ok_if "DeleteZone takes the cluster, hosts, storage, volume, networks and range" \
	"rc=$RC $(short "$OUT $ERR")" eval 'for t in Cluster Host PrimaryStorage Volume L2Network L3Network IpRange; do has "$OUT" "\"$t\"" || exit 1; done'
ctl ListHosts
ok_if "no host is left" "rc=$RC $(short "$OUT")" test "$OUT" = "[]"
ctl QueryImage name=cirros --field status
ok_if "the image stays, Ready, on its backup storage" "rc=$RC $(short "$OUT")" test "$OUT" = Ready

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary readme_walk
