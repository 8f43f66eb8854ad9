# cli_lib.sh: what the tests/cli scripts share: pass/fail counting, bounded runs of a
# command (RC, OUT, ERR, MS), free loopback ports, and a real zsnode started in a temp
# folder with every setting passed by --set (start_node), stopped on exit. Sourced.
#   ZSNODE PLUGINS ZSCTL must be set (absolute); TMP is made here.
set -u
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zst-cli-XXXXXX")
chmod 755 "$TMP" # a node started as root runs its database as another user
export XDG_CONFIG_HOME=$TMP/config
unset ZS_SESSION ZS_URL
SANITIZER_RE='ERROR: AddressSanitizer|runtime error:|LeakSanitizer'

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
FAIL_LINES=()   # repeated under the summary: a log cut in the middle still says what failed
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL $1${2:+ [$2]}"
	FAIL_LINES+=("FAIL ${1:0:300}")
}
ok_if() {
	local desc=$1 detail=$2
	shift 2
	if "$@"; then pass "$desc"; else fail "$desc" "$detail"; fi
}
has() { [[ $1 == *"$2"* ]]; }
short() { printf '%s' "$1" | tr '\n' ' ' | cut -c1-400; }

# run SECONDS COMMAND...: sets RC, OUT, ERR, MS; stdin from $STDIN (default empty).
run() {
	local secs=$1 t0
	shift
	t0=$(date +%s%N)
	printf '%s' "${STDIN:-}" | timeout -k 2 "$secs" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
	if grep -Eq "$SANITIZER_RE" "$TMP/err"; then
		fail "no sanitizer report from $(basename "$1") ${2:-}" "$(grep -Em1 "$SANITIZER_RE" "$TMP/err")"
	fi
}

free_ports() {
	python3 "$(dirname "${BASH_SOURCE[0]}")/../lib/free_ports.py" "$1"
}

# SIM_PORT: for a simulator beside the node (one python3 start for all: it costs seconds
# on a busy machine)
read -r RPC_PORT EV_PORT JSON_PORT HTTP_PORT SIM_PORT <<<"$(free_ports 5)"
RPC_URL=tcp://127.0.0.1:$RPC_PORT
DATA=$TMP/data
NODE_ERR=$TMP/zsnode.stderr
# every setting of the node, for start_node and for offline runs on the same folder
NODE_SETS=(--set "rpc.url=$RPC_URL" --set "events.url=tcp://127.0.0.1:$EV_PORT"
	--set "events.json_url=tcp://127.0.0.1:$JSON_PORT" --set "http.url=http://127.0.0.1:$HTTP_PORT"
	--set "data.dir=$DATA" --set "plugins.dir=$PLUGINS")

# start_node [--set name=value]...: a node on RPC_URL, answering Health/Check.
start_node() {
	local unset=() v
	for v in $(compgen -e | grep '^ZS_'); do unset+=(-u "$v"); done
	(cd "$TMP" && exec env "${unset[@]}" timeout -k 5 "${NODE_LIFETIME:-150}" "$ZSNODE" "${NODE_SETS[@]}" "$@" \
		</dev/null >/dev/null 2>>"$NODE_ERR") &
	NODE_PID=$!
	local until=$((SECONDS + 45)) # a loaded machine: initdb and PostgreSQL take long
	while ((SECONDS < until)); do
		kill -0 "$NODE_PID" 2>/dev/null || return 1
		if "$ZSCTL" --url "$RPC_URL" --timeout 500 health >/dev/null 2>&1; then return 0; fi
		sleep 0.05
	done
	return 1
}

# stop_node: SIGTERM, and its exit code in RC (124 when it did not stop in 10 s).
stop_node() {
	kill -TERM "$NODE_PID"
	RC=124
	for _ in $(seq 1 200); do
		if ! kill -0 "$NODE_PID" 2>/dev/null; then
			wait "$NODE_PID"
			RC=$?
			return
		fi
		sleep 0.05
	done
}

# login NAME PASSWORD: zsctl login with the password on stdin.
login() {
	STDIN="$2"$'\n' run 15 "$ZSCTL" --url "$RPC_URL" --password-stdin login "$1"
}

summary() {
	ok_if "zsnode stderr has no sanitizer report" "$(grep -Em1 "$SANITIZER_RE" "$NODE_ERR" 2>/dev/null)" \
		eval '! grep -Eq "$SANITIZER_RE" "$NODE_ERR" 2>/dev/null'
	echo "$1: $PASSED passed, $FAILED failed"
	local line
	for line in "${FAIL_LINES[@]:0:16}"; do echo "  $line"; done
	((FAILED == 0))
}
