#!/usr/bin/env bash
# cli_methods_test.sh: zsctl as an operator uses it against a real zsnode: ZStack-style
# method commands (CreateZone name=z1) by short, Service/Method and full names; the
# request they make (--dry-run: numbers, strings, proto and lowerCamel keys); the reply as
# a table (times in RFC 3339), --json, --field (one line per row), [] for an empty list;
# help METHOD; did-you-mean for methods, services, commands and fields; the login hint on
# UNAUTHENTICATED; --version; bash completion (the script, __complete, and the script
# itself run by bash); a malformed uuid is INVALID_ARGUMENT; --wait runs past the call
# timeout but not past the node's job.default_timeout (3 s here) or --job-timeout; a job's result is an
# object; configs named CATEGORY.NAME; `call` as before.
#
#   cli_methods_test.sh ZSNODE PLUGINS_DIR ZSCTL
abs() { realpath -m "$1"; }
ZSNODE=$(abs "${1:?usage: cli_methods_test.sh ZSNODE PLUGINS_DIR ZSCTL}")
PLUGINS=$(abs "$2")
ZSCTL=$(abs "$3")
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"

ADMIN_PW=zst-methods-Pa55
if ! start_node --set "identity.admin_password=$ADMIN_PW" --set job.default_timeout=3s; then
	fail "zsnode starts" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
	summary cli_methods
	exit 1
fi
pass "zsnode starts on $RPC_URL"
ctl() { run 15 "$ZSCTL" --url "$RPC_URL" --timeout 5000 "$@"; }
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
TIME_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z'

# ---- before logging in: the hint ----------------------------------------------------
ctl ListZones
ok_if "ListZones without a session: exit 1, UNAUTHENTICATED and 'zsctl login NAME'" \
	"rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" UNAUTHENTICATED && has "$ERR" "zsctl login NAME"'
login admin "$ADMIN_PW"
ok_if "zsctl login admin --password-stdin" "rc=$RC $(short "$OUT $ERR")" test "$RC" -eq 0

# ---- method commands ----------------------------------------------------------------
ctl CreateZone name=z1 description="first zone" --field uuid
Z1=$OUT
ok_if "CreateZone name=z1 --field uuid prints the new zone's uuid alone" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $Z1 =~ $UUID_RE ]]'
ctl GetZone uuid="$Z1"
ok_if "GetZone uuid=... prints a table: header UUID NAME DESCRIPTION ... CREATE_DATE, then the row" \
	"rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && [[ $(head -n1 <<<"$OUT") =~ ^UUID\ +NAME\ +DESCRIPTION\ +OWNER_UUID\ +CREATE_DATE\ +LAST_OP_DATE ]] && has "$(sed -n 2p <<<"$OUT")" "$Z1" && has "$OUT" "first zone"'
ok_if "the table shows createDate as an RFC 3339 time" "$(short "$OUT")" \
	eval '[[ $(sed -n 2p <<<"$OUT") =~ $TIME_RE ]]'
ctl Zone/GetZone uuid="$Z1" --field name
ok_if "Service/Method works too (Zone/GetZone), --field name prints z1" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $OUT == z1 ]]'
ctl zs.zone.v1.Zone/GetZone uuid="$Z1" --field createDate
ok_if "the full name works, and --field takes lowerCamel (a Timestamp as RFC 3339 in UTC)" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $OUT =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]'
ctl CreateZone name=z2 --field uuid
Z2=$OUT
ctl ListZones --field uuid
ok_if "ListZones --field uuid: one line per row, both zones" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && [[ $(wc -l <<<"$OUT") -eq 2 ]] && has "$OUT" "$Z1" && has "$OUT" "$Z2"'
ctl ListZones
ok_if "ListZones: a table with a header and a row per zone" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && [[ $(wc -l <<<"$OUT") -eq 3 && $OUT == UUID* ]]'
ctl --json ListZones
ok_if "--json ListZones: one line of JSON with the zones" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && [[ $(wc -l <<<"$OUT") -eq 1 ]] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert len(d[\"zones\"]) == 2" "$OUT"'
ctl ListHosts
ok_if "ListHosts with no hosts prints []" "rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && [[ $OUT == "[]" ]]'
ctl --json ListHosts
ok_if "--json ListHosts prints {\"hosts\":[]}" "rc=$RC $(short "$OUT")" eval '((RC == 0)) && [[ $OUT == "{\"hosts\":[]}" ]]'
ctl ListHosts --field uuid
ok_if "ListHosts --field uuid prints nothing (no rows)" "rc=$RC $(short "$OUT")" eval '((RC == 0)) && [[ -z $OUT ]]'
ctl CreateCluster zoneUuid="$Z1" name=c1 hypervisorType=KVM --field uuid
C1=$OUT
ok_if "CreateCluster with lowerCamel keys (zoneUuid, hypervisorType)" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $C1 =~ $UUID_RE ]]'
ctl CreateInstanceOffering name=small cpu_num=2 memorySize=2147483648 --field uuid
O1=$OUT
ok_if "keys as proto names (cpu_num) or lowerCamel (memorySize): CreateInstanceOffering works" \
	"rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && [[ $O1 =~ $UUID_RE ]]'
ctl GetInstanceOffering uuid="$O1" --field memory_size
ok_if "the number keys became numbers: memory_size is 2147483648" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $OUT == 2147483648 ]]'

# ---- queries in ZStack's CLI form ----------------------------------------------------
ctl QueryZone 'name~=z%' sort=-name fields=uuid,name --field name
ok_if "QueryZone name~=z% sort=-name: the zones, last name first" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $(head -n 1 <<<"$OUT") > $(tail -n 1 <<<"$OUT") && $(wc -l <<<"$OUT") -eq 2 ]]'
ctl QueryZone groupBy=ownerUuid
ok_if "QueryZone groupBy=ownerUuid: a table of VALUE and COUNT, the admin's zones counted" \
	"rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $(head -n 1 <<<"$OUT") =~ ^VALUE\ +COUNT ]] && [[ $(sed -n 2p <<<"$OUT") =~ ^[0-9a-f-]{36}\ +[1-9][0-9]*$ ]]'
ctl QueryZone groupBy=createDate
ok_if "QueryZone groupBy=createDate: refused, a time" "rc=$RC $(short "$ERR")" \
	eval '((RC != 0)) && has "$ERR" "is a time"'
ctl QueryCluster zone.name?=nothing,other
ok_if "QueryCluster zone.name?=nothing,other (in, by dot path): none, []" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $OUT == "[]" ]]'
ctl QueryCluster clusters.name=c1
ok_if "QueryCluster on a field it has not: exit non-zero, listing the valid ones" "rc=$RC $(short "$ERR")" \
	eval '((RC != 0)) && has "$ERR" hypervisor_type'
ctl QueryInstanceOffering cpuNum\>=2 count=true --json
ok_if "QueryInstanceOffering cpuNum>=2 count=true: total 1" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" "\"total\":\"1\""'

# ---- the request, without sending it ------------------------------------------------
ctl --dry-run --json CreateZone name=dry description="two words"
ok_if "--dry-run prints the method and body, and sends nothing" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && [[ $OUT == "{\"method\":\"zs.zone.v1.Zone/CreateZone\",\"body\":{\"name\":\"dry\",\"description\":\"two words\"}}" ]]'
ctl ListZones --field name
ok_if "the dry run made no zone" "$(short "$OUT")" eval '! has "$OUT" dry'
ctl --dry-run --json SlowSay text=x delay_ms=250
ok_if "a number field becomes a JSON number (delay_ms=250 -> \"delayMs\":250)" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && has "$OUT" "\"delayMs\":250" && has "$OUT" "\"text\":\"x\""'
ctl --dry-run SlowSay delayMs=soon
ok_if "a value of the wrong type: exit 2, naming the field and its type" "rc=$RC $(short "$ERR")" \
	eval '((RC == 2)) && has "$ERR" delayMs=soon && has "$ERR" uint32'
ctl CreateZone nmae=x
ok_if "a misspelt field: exit 2, listing the valid fields" "rc=$RC $(short "$ERR")" \
	eval '((RC == 2)) && has "$ERR" "unknown field \"nmae\"" && has "$ERR" "name, description"'

# ---- mistakes -----------------------------------------------------------------------
ctl CreatZone name=x
ok_if "a misspelt method: exit 2, did you mean CreateZone" "rc=$RC $(short "$ERR")" \
	eval '((RC == 2)) && has "$ERR" "did you mean CreateZone"'
ctl zs.zone.v1.Zonee/CreateZone name=x
ok_if "a misspelt service: did you mean CreateZone" "rc=$RC $(short "$ERR")" \
	eval '((RC == 2)) && has "$ERR" "did you mean" && has "$ERR" CreateZone'
ctl describe zs.zone.v1.Zonee
ok_if "describe of a misspelt service: exit 1, did you mean zs.zone.v1.Zone" "rc=$RC $(short "$ERR")" \
	eval '((RC == 1)) && has "$ERR" "did you mean zs.zone.v1.Zone?"'
ctl Get uuid=x
ok_if "a name of several methods lists them" "rc=$RC $(short "$ERR")" \
	eval '((RC == 2)) && has "$ERR" zs.job.v1.Jobs/Get && has "$ERR" zs.config.v1.GlobalConfig/Get'
ctl lst
ok_if "a misspelt command: did you mean list" "rc=$RC $(short "$ERR")" \
	eval '((RC == 2)) && has "$ERR" "did you mean list"'
ctl GetHost uuid=not-a-uuid
ok_if "GetHost uuid=not-a-uuid: INVALID_ARGUMENT saying it is not a uuid" "rc=$RC $(short "$ERR")" \
	eval '((RC == 1)) && has "$ERR" INVALID_ARGUMENT && has "$ERR" "is not a uuid"'
ctl call zs.host.v1.Host/GetHost '{"uuid":"not-a-uuid"}'
ok_if "the same through call with JSON" "rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" INVALID_ARGUMENT'
ctl GetZone uuid=00000000-0000-4000-8000-000000000000
ok_if "a well-formed uuid nobody has: NOT_FOUND" "rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" NOT_FOUND'

# ---- help, version ------------------------------------------------------------------
ctl help CreateZone
ok_if "help CreateZone: its input fields with types" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && [[ $OUT =~ name\ +string ]] && [[ $OUT =~ description\ +string ]] && has "$OUT" zs.zone.v1.CreateZoneRequest'
ok_if "help CreateZone: each field's comment from zone.proto, through reflection" "$(short "$OUT")" \
	eval '[[ $OUT =~ name\ +string\ +//\ required\;\ at\ most\ 255\ bytes ]] && [[ $OUT =~ description\ +string\ +//\ at\ most\ 2048\ bytes ]]'
ctl help QueryZone
ok_if "help QueryZone: the rows' times are Timestamps, with their comments" "$(short "$OUT")" \
	eval '[[ $OUT =~ create_date\ \(createDate\)\ +google\.protobuf\.Timestamp\ +//\ when\ it\ was\ made ]] && has "$OUT" "last_op_date (lastOpDate)"'
ctl help Login
ok_if "help Login: a node's own service (identity) has its comments too" "$(short "$OUT")" \
	eval '[[ $OUT =~ session\ +string\ +//\ the\ token\ to\ send\ with\ every\ call ]] && [[ $OUT =~ expire_date\ \(expireDate\)\ +google\.protobuf\.Timestamp\ +//\ when\ the\ session\ expires ]]'
ctl help AddHost
ok_if "help AddHost shows the lowerCamel key beside the proto name" "$(short "$OUT")" \
	eval 'has "$OUT" "cluster_uuid" && has "$OUT" "clusterUuid"'
run 5 "$ZSCTL" --version
ok_if "zsctl --version" "rc=$RC $(short "$OUT")" eval '((RC == 0)) && [[ $OUT =~ ^zsctl\ [0-9]+\.[0-9]+\.[0-9]+$ ]]'

# ---- completion ---------------------------------------------------------------------
ctl completion bash
SCRIPT=$OUT
ok_if "completion bash: a script with the node's methods cached" "rc=$RC $(short "$ERR")" \
	eval '((RC == 0)) && has "$SCRIPT" "complete -F _zsctl zsctl" && has "$SCRIPT" CreateZone'
ctl __complete
ok_if "__complete offers commands and methods" "$(short "$OUT")" \
	eval 'grep -qx list <<<"$OUT" && grep -qx CreateZone <<<"$OUT" && grep -qx GetZone <<<"$OUT"'
ctl __complete AddHost
ok_if "__complete AddHost offers its fields as KEY=" "$(short "$OUT")" \
	eval 'grep -qx clusterUuid= <<<"$OUT" && grep -qx managementIp= <<<"$OUT"'
printf '%s\n' "$SCRIPT" >"$TMP/completion.bash"
COMPLETED=$(PATH=$(dirname "$ZSCTL"):$PATH timeout 20 bash -c '
	source "$1"
	COMP_WORDS=(zsctl --url "$2" CreateZ); COMP_CWORD=3; _zsctl; echo "first:${COMPREPLY[*]}"
	COMP_WORDS=(zsctl --url "$2" CreateZone desc); COMP_CWORD=4; _zsctl; echo "field:${COMPREPLY[*]}"
' _ "$TMP/completion.bash" "$RPC_URL" 2>&1)
ok_if "bash completes CreateZ to 'CreateZone ' and desc to 'description='" "$(short "$COMPLETED")" \
	eval 'has "$COMPLETED" "first:CreateZone " && has "$COMPLETED" "field:description="'

# ---- jobs ---------------------------------------------------------------------------
ctl --timeout 1000 --wait SlowSay text=later delayMs=2000
ok_if "--wait SlowSay of 2 s succeeds under a 1 s call timeout (the job has its own deadline)" \
	"rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && has "$OUT" later && has "$ERR" SUCCEEDED'
ctl --timeout 1000 --wait SlowSay text=late delayMs=4000
ok_if "--wait SlowSay of 4 s fails DEADLINE_EXCEEDED: the node's job.default_timeout (3 s) is its deadline" \
	"rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" DEADLINE_EXCEEDED && has "$ERR" FAILED'
ctl --job-timeout 500 --wait SlowSay text=late delayMs=1500
ok_if "--job-timeout 500 gives the job its own shorter deadline: DEADLINE_EXCEEDED" \
	"rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" DEADLINE_EXCEEDED'
ctl --dry-run --json --wait SlowSay text=x
ok_if "--dry-run with --wait shows the request goes as a job" "$(short "$OUT")" has "$OUT" '"job":true'
ctl --job SlowSay text=jobbed delayMs=10
JOB=$OUT
sleep 0.5
ctl job get "$JOB"
ok_if "job get: the result is a JSON object (no base64, no escaped string)" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"result\"][\"text\"] == \"jobbed\" and \"resultJson\" not in d" "$OUT"'

# ---- configs: CATEGORY.NAME ---------------------------------------------------------
ctl config get identity.sessionTimeout
ok_if "config get identity.sessionTimeout (the name as config list shows it)" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" "identity.sessionTimeout = 2h"'
ctl config list identity
ok_if "config list names it identity.sessionTimeout" "$(short "$OUT")" has "$OUT" identity.sessionTimeout

# ---- call stays ---------------------------------------------------------------------
ctl call zs.echo.v1.Echo/Say '{"text":"hi"}'
ok_if "zsctl call METHOD JSON still works" "rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && has "$OUT" "\"text\": \"hi\""'

stop_node
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
summary cli_methods
