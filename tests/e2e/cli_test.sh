#!/usr/bin/env bash
# cli_test.sh: the command-line tools as a user runs them against a real zsnode (free
# ports, a temp data dir, everything passed with --set): nngcat req0 and sub0 on the JSON
# wire and event feed; zsctl list / describe / call / health, with and without --json, and
# its exit codes (0 OK, 1 failed call, 2 usage, 3 nothing answers); zswatch printing
# events, and its "! missed N event(s)" line when fed a skipped topicSequence by nngcat.
# Calls need a session: zsctl login admin (--password-stdin) saves one under
# $XDG_CONFIG_HOME (in the temp folder), which zsctl then sends; nngcat frames carry it as
# "session". Without one, or with a bogus one, calls are UNAUTHENTICATED.
# Every process it starts is killed on exit; every command runs under timeout(1).
#
#   cli_test.sh BUILD_DIR [ZSNODE PLUGINS_DIR ZSCTL ZSWATCH]
set -u

BUILD=${1:?usage: cli_test.sh BUILD_DIR [ZSNODE PLUGINS_DIR ZSCTL ZSWATCH]}
find_tool() { find "$BUILD/clients" -name "$1" -type f -perm -u+x 2>/dev/null | head -n 1; }
ZSNODE=${2:-$BUILD/server/zsnode}
PLUGINS=${3:-$BUILD/plugins}
ZSCTL=${4:-$(find_tool zsctl)}
ZSWATCH=${5:-$(find_tool zswatch)}
# absolute: zsnode runs in its own temp folder
abs() { [[ -z $1 ]] || realpath -m "$1"; }
ZSNODE=$(abs "$ZSNODE") PLUGINS=$(abs "$PLUGINS") ZSCTL=$(abs "$ZSCTL") ZSWATCH=$(abs "$ZSWATCH")

PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zst-cli-XXXXXX")
chmod 755 "$TMP" # a node started as root runs its database as another user
ADMIN_PW=zst-cli-admin-Pa55
# zsctl keeps its session here, not in the user's home
export XDG_CONFIG_HOME=$TMP/config
unset ZS_SESSION
SESSION=

# Kills what this script started and still runs (its background jobs: zsnode, nngcat,
# zswatch; a finished one is not touched, so no recycled pid is ever signalled).
cleanup() {
	local pids
	pids=$(jobs -pr)
	if [[ -n $pids ]]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		sleep 0.3
		pids=$(jobs -pr)
		# shellcheck disable=SC2086
		[[ -z $pids ]] || kill -KILL $pids 2>/dev/null
		wait 2>/dev/null
	fi
	[[ -n ${ZST_KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "FAIL interrupted"; exit 3' INT TERM

pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1${2:+ [$2]}"; }
# ok_if DESCRIPTION DETAIL COMMAND...: passes when COMMAND succeeds.
ok_if() {
	local desc=$1 detail=$2
	shift 2
	if "$@"; then pass "$desc"; else fail "$desc" "$detail"; fi
}
has() { [[ $1 == *"$2"* ]]; }
short() { printf '%s' "$1" | tr '\n' ' ' | cut -c1-300; }

SANITIZER_RE='ERROR: AddressSanitizer|runtime error:|LeakSanitizer'

# run SECONDS COMMAND...: runs it bounded; sets RC, OUT, ERR, MS. A sanitizer report on
# its stderr is a failure of its own.
run() {
	local secs=$1 t0
	shift
	t0=$(date +%s%N)
	timeout -k 2 "$secs" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
	if grep -Eq "$SANITIZER_RE" "$TMP/err"; then
		fail "no sanitizer report from $(basename "$1") $2" "$(grep -Em1 "$SANITIZER_RE" "$TMP/err")"
	fi
}

# Valid JSON on stdin?
is_json() {
	if command -v jq >/dev/null; then
		jq -e . >/dev/null 2>&1
	elif command -v python3 >/dev/null; then
		python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null
	else
		grep -q '^[[:space:]]*[{[]'
	fi
}
json_ok() { printf '%s' "$1" | is_json; }

# free_ports N: N distinct TCP ports nothing listens on (tests/lib/free_ports.py).
free_ports() {
	python3 "$(dirname "${BASH_SOURCE[0]}")/../lib/free_ports.py" "$1"
}

# nngcat JSON request to the node.
nng_req() { run 5 nngcat --req0 --dial "$RPC_URL" --recv-timeout 3 --data "$1" --ascii; }

# ---- the node ----------------------------------------------------------------------

for tool in "$ZSNODE" nngcat; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL missing $tool"
		echo "cli: 0 passed, 1 failed"
		exit 1
	fi
done

read -r RPC_PORT EV_PORT JSON_PORT HTTP_PORT DEAD_PORT PUB_PORT <<<"$(free_ports 6)"
RPC_URL=tcp://127.0.0.1:$RPC_PORT
JSON_URL=tcp://127.0.0.1:$JSON_PORT
DATA=$TMP/data
NODE_ERR=$TMP/zsnode.stderr

start_node() {
	local unset=() v
	for v in $(compgen -e | grep '^ZS_'); do unset+=(-u "$v"); done
	# under timeout(1) too: the node never outlives a killed test by long
	(cd "$TMP" && exec env "${unset[@]}" timeout -k 5 150 "$ZSNODE" \
		--set "rpc.url=$RPC_URL" \
		--set "events.url=tcp://127.0.0.1:$EV_PORT" \
		--set "events.json_url=$JSON_URL" \
		--set "http.url=http://127.0.0.1:$HTTP_PORT" \
		--set "data.dir=$DATA" \
		--set "plugins.dir=$PLUGINS" \
		--set "identity.admin_password=$ADMIN_PW" </dev/null >/dev/null 2>"$NODE_ERR") &
	NODE_PID=$!
	local until=$((SECONDS + 45)) # a loaded machine: initdb and PostgreSQL take long
	while ((SECONDS < until)); do
		kill -0 "$NODE_PID" 2>/dev/null || return 1
		nng_req '{"method":"zs.health.v1.Health/Check"}'
		has "$OUT" '"status":"SERVING"' && return 0
		sleep 0.05
	done
	return 1
}

if ! start_node; then
	fail "zsnode starts and answers Health/Check" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
	echo "cli: $PASSED passed, $FAILED failed"
	exit 1
fi
pass "zsnode starts on $RPC_URL"

# ---- logging in ---------------------------------------------------------------------

# login: the password from stdin, the session saved 0600 under XDG_CONFIG_HOME
printf '%s\n' "$ADMIN_PW" | timeout -k 2 10 "$ZSCTL" --url "$RPC_URL" --password-stdin login admin \
	>"$TMP/out" 2>"$TMP/err"
RC=$?
OUT=$(cat "$TMP/out")
ERR=$(cat "$TMP/err")
ok_if "zsctl login admin --password-stdin exits 0 and says so" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" "logged in as admin"'
SESSION_FILE=$XDG_CONFIG_HOME/zsctl/session
SESSION=$(cat "$SESSION_FILE" 2>/dev/null)
ok_if "the session is saved in \$XDG_CONFIG_HOME/zsctl/session, mode 600" \
	"$(stat -c %a "$SESSION_FILE" 2>&1)" \
	eval '[[ -n $SESSION && $(stat -c %a "$SESSION_FILE") == 600 ]]'
ok_if "the password is not on zsctl's output" "$(short "$OUT $ERR")" \
	eval '! has "$OUT$ERR" "$ADMIN_PW"'
run 10 "$ZSCTL" --url "$RPC_URL" whoami
ok_if "zsctl whoami says admin" "rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && has "$OUT" admin'

# no session, a bogus one: refused; Health/Check needs none
nng_req '{"method":"zs.echo.v1.Echo/Say","body":{"text":"hi"}}'
ok_if "nngcat Say without a session: UNAUTHENTICATED" "$(short "$OUT $ERR")" \
	eval 'has "$OUT" UNAUTHENTICATED && has "$OUT" IDENTITY.1001'
nng_req '{"method":"zs.echo.v1.Echo/Say","session":"bogus","body":{"text":"hi"}}'
ok_if "nngcat Say with a bogus session: UNAUTHENTICATED" "$(short "$OUT $ERR")" \
	has "$OUT" UNAUTHENTICATED
nng_req "{\"method\":\"zs.echo.v1.Echo/Say\",\"session\":\"$SESSION\",\"body\":{\"text\":\"hi\"}}"
ok_if "nngcat Say with the session: OK" "$(short "$OUT $ERR")" has "$OUT" '"text":"hi"'
run 10 env ZS_SESSION=bogus "$ZSCTL" --url "$RPC_URL" call zs.echo.v1.Echo/Say '{"text":"hi"}'
ok_if "ZS_SESSION=bogus zsctl call exits 1 with UNAUTHENTICATED" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 1)) && has "$OUT$ERR" UNAUTHENTICATED'
run 10 "$ZSCTL" --url "$RPC_URL" --session bogus call zs.echo.v1.Echo/Say '{"text":"hi"}'
ok_if "zsctl --session bogus call exits 1 with UNAUTHENTICATED" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 1)) && has "$OUT$ERR" UNAUTHENTICATED'

# ---- nngcat: a supported client -----------------------------------------------------

nng_req '{"method":"zs.health.v1.Health/Check"}'
ok_if "nngcat --req0 Health/Check prints \"status\":\"SERVING\"" "$(short "$OUT $ERR")" \
	has "$OUT" '"status":"SERVING"'

# The JSON event feed: nngcat --sub0 sees the headers of what zsctl publishes, never the
# bodies (anyone may connect: bodies come from Events/Recent, which checks the session).
timeout -k 1 15 nngcat --sub0 --dial "$JSON_URL" --subscribe echo/ --ascii >"$TMP/sub.out" 2>&1 &
SUB_PID=$!
sleep 0.5
PUBLISH='{"topic":"echo/said","text":"x","count":3}'
run 10 "$ZSCTL" --url "$RPC_URL" call zs.echo.v1.Echo/Publish "$PUBLISH"
ok_if "zsctl call zs.echo.v1.Echo/Publish (count 3) exits 0" "rc=$RC $(short "$OUT $ERR")" \
	test "$RC" -eq 0
if ((RC != 0)); then
	# keep the feed check about the feed: publish the same events another way
	echo "     (zsctl failed: publishing the 3 events with nngcat instead)"
	nng_req "{\"method\":\"zs.echo.v1.Echo/Publish\",\"session\":\"$SESSION\",\"body\":$PUBLISH}"
fi
sleep 0.5
kill "$SUB_PID" 2>/dev/null
wait "$SUB_PID" 2>/dev/null
SUB=$(cat "$TMP/sub.out")
N=$(grep -o 'echo/said {' <<<"$SUB" | wc -l)
ok_if "nngcat --sub0 --subscribe echo/ sees the 3 events published" "saw $N: $(short "$SUB")" \
	test "$N" -eq 3
ok_if "the events carry topicSequence 1..3 and no body" "$(short "$SUB")" \
	eval 'has "$SUB" "\"topicSequence\":\"3\"" && ! has "$SUB" "\"body\"" && ! has "$SUB" "\"text\""'

# ---- zsctl ------------------------------------------------------------------------

ctl() { run 10 "$ZSCTL" --url "$RPC_URL" --timeout 3000 "$@"; }

if [[ -z $ZSCTL || ! -x $ZSCTL ]]; then
	fail "zsctl is built" "${ZSCTL:-not found under $BUILD/clients}"
fi

ctl list
ok_if "zsctl list exits 0" "rc=$RC $(short "$ERR")" test "$RC" -eq 0
ok_if "zsctl list names zs.echo.v1.Echo and zs.health.v1.Health" "$(short "$OUT")" \
	eval 'has "$OUT" zs.echo.v1.Echo && has "$OUT" zs.health.v1.Health'
ctl --json list
ok_if "zsctl --json list exits 0 with JSON naming zs.echo.v1.Echo" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && json_ok "$OUT" && has "$OUT" zs.echo.v1.Echo'

ctl describe zs.echo.v1.Echo
ok_if "zsctl describe zs.echo.v1.Echo exits 0 naming Say, SlowSay, Publish" \
	"rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" Say && has "$OUT" SlowSay && has "$OUT" Publish'
ok_if "zsctl describe shows the fields (text, delay_ms)" "$(short "$OUT")" \
	eval 'has "$OUT" text && has "$OUT" delay'
ctl --json describe zs.echo.v1.Echo
ok_if "zsctl --json describe zs.echo.v1.Echo exits 0 with JSON" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && json_ok "$OUT" && has "$OUT" SlowSay'
ctl describe zs.nope.v1.Nope
ok_if "zsctl describe of an unknown service exits 1" "rc=$RC $(short "$OUT $ERR")" \
	test "$RC" -eq 1

ctl call zs.echo.v1.Echo/Say '{"text":"hi"}'
ok_if "zsctl call Say '{\"text\":\"hi\"}' exits 0 and prints hi" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" hi'
ctl --json call zs.echo.v1.Echo/Say '{"text":"hi"}'
ok_if "zsctl --json call Say prints JSON with \"text\":\"hi\"" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && json_ok "$OUT" && has "$(tr -d " \n" <<<"$OUT")" "\"text\":\"hi\""'

ctl health
ok_if "zsctl health exits 0 and says SERVING" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" SERVING'
ctl --json health
ok_if "zsctl --json health prints JSON saying SERVING" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && json_ok "$OUT" && has "$OUT" SERVING'
ctl health zs.echo.v1.Echo
ok_if "zsctl health zs.echo.v1.Echo exits 0, SERVING" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" SERVING'
ctl health zs.nope.v1.Nope
ok_if "zsctl health of an unknown service exits 1" "rc=$RC $(short "$OUT $ERR")" \
	test "$RC" -eq 1

# failed calls: exit 1 and the reason on the terminal
ctl call zs.echo.v1.Echo/Shout '{}'
ok_if "zsctl call of an unknown method exits 1 and says UNIMPLEMENTED" \
	"rc=$RC $(short "$OUT $ERR")" eval '((RC == 1)) && has "$OUT$ERR" UNIMPLEMENTED'
ctl call zs.echo.v1.Echo/Say '{"txt":"hi"}'
ok_if "zsctl call with an unknown field exits 1, says INVALID_ARGUMENT and names txt" \
	"rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 1)) && has "$OUT$ERR" INVALID_ARGUMENT && has "$OUT$ERR" txt'
ctl call zs.echo.v1.Echo/Publish '{"topic":"elsewhere/x"}'
ok_if "zsctl call failing in the service exits 1 and shows ECHO.1003" \
	"rc=$RC $(short "$OUT $ERR")" eval '((RC == 1)) && has "$OUT$ERR" ECHO.1003'
ctl --json call zs.echo.v1.Echo/Shout '{}'
ok_if "zsctl --json call of an unknown method exits 1 with a JSON status" \
	"rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 1)) && json_ok "$OUT" && has "$OUT" UNIMPLEMENTED'
ctl call zs.echo.v1.Echo/Say '{"text":'
ok_if "zsctl call with a JSON syntax error exits 1 or 2, not 0" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 1 || RC == 2))'

# usage: exit 2
run 10 "$ZSCTL"
ok_if "zsctl with no command exits 2" "rc=$RC $(short "$ERR")" test "$RC" -eq 2
run 10 "$ZSCTL" --url "$RPC_URL" frobnicate
ok_if "zsctl with an unknown command exits 2" "rc=$RC $(short "$ERR")" test "$RC" -eq 2
run 10 "$ZSCTL" --url "$RPC_URL" call
ok_if "zsctl call without a method exits 2" "rc=$RC $(short "$ERR")" test "$RC" -eq 2

# nothing answers: exit 3, within the timeout
DEAD_URL=tcp://127.0.0.1:$DEAD_PORT
for cmd in health list "call zs.echo.v1.Echo/Say {}"; do
	# shellcheck disable=SC2086
	run 10 "$ZSCTL" --url "$DEAD_URL" --timeout 500 $cmd
	ok_if "zsctl $cmd with nothing at $DEAD_URL exits 3 (in $MS ms)" "rc=$RC $(short "$ERR")" \
		eval '((RC == 3 && MS < 5000))'
done

# ---- zswatch ------------------------------------------------------------------------

if [[ -z $ZSWATCH || ! -x $ZSWATCH ]]; then
	fail "zswatch is built" "${ZSWATCH:-not found under $BUILD/clients}"
fi

# zswatch echo/ --count 3 prints the three events (fetched in full with the saved session)
# and exits
timeout -k 1 15 "$ZSWATCH" --url "$JSON_URL" --rpc-url "$RPC_URL" --count 3 --timeout 10000 echo/ \
	>"$TMP/watch.out" 2>"$TMP/watch.err" </dev/null &
WATCH_PID=$!
sleep 0.7
nng_req "{\"method\":\"zs.echo.v1.Echo/Publish\",\"session\":\"$SESSION\",\"body\":{\"topic\":\"echo/said\",\"text\":\"watched\",\"count\":3}}"
wait "$WATCH_PID"
RC=$?
OUT=$(cat "$TMP/watch.out")
N=$(grep -c 'echo/said' <<<"$OUT")
ok_if "zswatch --count 3 echo/ exits 0 after the 3 events" "rc=$RC $(short "$OUT $(cat "$TMP/watch.err")")" \
	test "$RC" -eq 0
ok_if "zswatch prints the 3 events (topic and text)" "lines with echo/said: $N; $(short "$OUT")" \
	eval '((N == 3)) && has "$OUT" watched'

# --json: one JSON event per line
timeout -k 1 15 "$ZSWATCH" --url "$JSON_URL" --rpc-url "$RPC_URL" --json --count 1 --timeout 10000 echo/ \
	>"$TMP/watchj.out" 2>"$TMP/watchj.err" </dev/null &
WATCH_PID=$!
sleep 0.7
nng_req "{\"method\":\"zs.echo.v1.Echo/Publish\",\"session\":\"$SESSION\",\"body\":{\"topic\":\"echo/json\",\"text\":\"j\",\"count\":1}}"
wait "$WATCH_PID"
RC=$?
OUT=$(head -n 1 "$TMP/watchj.out")
ok_if "zswatch --json prints the event as a JSON line, with its body" "rc=$RC $(short "$OUT $(cat "$TMP/watchj.err")")" \
	eval '((RC == 0)) && json_ok "$OUT" && has "$OUT" echo/json && has "$OUT" "\"text\":\"j\""'

# the gap line: nngcat plays a node whose events 2 and 3 of echo/said never arrive
PUB_URL=tcp://127.0.0.1:$PUB_PORT
event() {
	printf 'echo/said {"topic":"echo/said","sequence":"%s","topicSequence":"%s","time":"2023-11-14T22:13:20Z","nodeId":"feedfacecafe","type":"zs.echo.v1.SayReply","body":{"text":"gap%s","nodeId":"feedfacecafe"}}' "$1" "$1" "$1"
}
timeout -k 1 10 nngcat --pub0 --listen "$PUB_URL" --delay 1 --count 1 --data "$(event 1)" \
	>/dev/null 2>"$TMP/pub1.err" &
PUB1_PID=$!
sleep 0.3
timeout -k 1 15 "$ZSWATCH" --url "$PUB_URL" --count 2 --timeout 10000 echo/ \
	>"$TMP/gap.out" 2>"$TMP/gap.err" </dev/null &
WATCH_PID=$!
wait "$PUB1_PID"
run 10 nngcat --pub0 --listen "$PUB_URL" --delay 1 --count 1 --data "$(event 4)"
wait "$WATCH_PID"
RC=$?
OUT=$(cat "$TMP/gap.out" "$TMP/gap.err")
ok_if "zswatch prints '! missed 2 event(s) on echo/said from node feedfacecafe' on a gap" \
	"rc=$RC $(short "$OUT")" grep -q '^! missed 2 event(s) on echo/said from node feedfacecafe' <<<"$OUT"
ok_if "zswatch still prints both events around the gap" "$(short "$OUT")" \
	eval 'has "$OUT" gap1 && has "$OUT" gap4'

# ---- logging out ---------------------------------------------------------------------

run 10 "$ZSCTL" --url "$RPC_URL" logout
ok_if "zsctl logout exits 0 and removes the saved session" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ ! -e $SESSION_FILE ]]'
run 10 "$ZSCTL" --url "$RPC_URL" --session "$SESSION" call zs.echo.v1.Echo/Say '{"text":"hi"}'
ok_if "the logged-out session is refused: UNAUTHENTICATED, exit 1" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 1)) && has "$OUT$ERR" UNAUTHENTICATED'
run 10 "$ZSCTL" --url "$RPC_URL" whoami
ok_if "zsctl whoami without a session exits 1" "rc=$RC $(short "$OUT $ERR")" test "$RC" -eq 1

# ---- the node stops cleanly ---------------------------------------------------------

kill -TERM "$NODE_PID"
RC=124
for _ in $(seq 1 200); do
	if ! kill -0 "$NODE_PID" 2>/dev/null; then
		wait "$NODE_PID"
		RC=$?
		break
	fi
	sleep 0.05
done
ok_if "zsnode exits 0 on SIGTERM within 10 s" "rc=$RC" test "$RC" -eq 0
ok_if "zsnode stderr has no sanitizer report" "$(grep -Em1 "$SANITIZER_RE" "$NODE_ERR")" \
	eval '! grep -Eq "$SANITIZER_RE" "$NODE_ERR"'

echo "cli: $PASSED passed, $FAILED failed"
((FAILED == 0))
