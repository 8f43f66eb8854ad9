#!/usr/bin/env bash
# zsctl_identity_test.sh: zsctl's identity commands against a real zsnode (free ports, a
# temp folder, every setting passed with --set): login (--password-stdin; without a
# terminal and without it, a usage error), whoami, account create (--admin) | list |
# passwd | delete, as admin and as a normal account, logout; the saved session's mode;
# no password on zsnode's stderr. Each user keeps its session in its own XDG_CONFIG_HOME.
# Every command runs under timeout(1); the node is killed on exit.
#
#   zsctl_identity_test.sh ZSNODE PLUGINS_DIR ZSCTL
set -u

ZSNODE=$(realpath -m "${1:?usage: zsctl_identity_test.sh ZSNODE PLUGINS_DIR ZSCTL}")
PLUGINS=$(realpath -m "${2:?}")
ZSCTL=$(realpath -m "${3:?}")
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zst-idcli-XXXXXX")
chmod 755 "$TMP" # a node started as root runs its database as another user
ADMIN_PW=idcli-Admin-Pa55
CAROL_PW=carol-Pa55word
CAROL_PW2=carol-Reset-Pa55
CAROL_PW3=carol-Third-Pa55
DAVE_PW=dave-Pa55word

cleanup() {
	local pids
	pids=$(jobs -pr)
	# shellcheck disable=SC2086
	[[ -z $pids ]] || { kill -TERM $pids 2>/dev/null; sleep 0.3; kill -KILL $pids 2>/dev/null; }
	wait 2>/dev/null
	[[ -n ${ZST_KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "FAIL interrupted"; exit 3' INT TERM

pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1${2:+ [$2]}"; }
ok_if() {
	local desc=$1 detail=$2
	shift 2
	if "$@"; then pass "$desc"; else fail "$desc" "$detail"; fi
}
has() { [[ $1 == *"$2"* ]]; }
short() { printf '%s' "$1" | tr '\n' ' ' | cut -c1-300; }

# as USER [STDIN] -- ARGS...: zsctl with USER's saved session, STDIN fed in, no terminal
# (setsid); sets RC, OUT, ERR.
as() {
	local user=$1 input=$2
	shift 3
	printf '%s' "$input" | XDG_CONFIG_HOME=$TMP/$user timeout -k 2 20 setsid -w "$ZSCTL" \
		--url "$RPC_URL" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

read -r RPC_PORT EV_PORT JSON_PORT HTTP_PORT <<<"$(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
RPC_URL=tcp://127.0.0.1:$RPC_PORT
NODE_ERR=$TMP/zsnode.stderr
unset ZS_SESSION
for v in $(compgen -e | grep '^ZS_'); do unset "$v"; done
(cd "$TMP" && exec timeout -k 5 150 "$ZSNODE" --set "rpc.url=$RPC_URL" \
	--set "events.url=tcp://127.0.0.1:$EV_PORT" --set "events.json_url=tcp://127.0.0.1:$JSON_PORT" \
	--set "http.url=http://127.0.0.1:$HTTP_PORT" --set "data.dir=$TMP/data" \
	--set "plugins.dir=$PLUGINS" --set "identity.admin_password=$ADMIN_PW" \
	</dev/null >/dev/null 2>"$NODE_ERR") &
NODE_PID=$!
for _ in $(seq 1 200); do
	as nobody "" -- health && ((RC == 0)) && break
	kill -0 "$NODE_PID" 2>/dev/null || break
	sleep 0.05
done
if ((RC != 0)); then
	fail "zsnode starts" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
	echo "zsctl_identity: $PASSED passed, $FAILED failed"
	exit 1
fi
pass "zsnode starts on $RPC_URL"

# ---- admin ----
as admin "" -- login admin
ok_if "login without a terminal and without --password-stdin: exit 2, says to use it" \
	"rc=$RC $(short "$ERR")" eval '((RC == 2)) && has "$ERR" --password-stdin'
as admin "wrong-Pa55word"$'\n' -- --password-stdin login admin
ok_if "login with a wrong password: exit 1, wrong name or password" "rc=$RC $(short "$ERR")" \
	eval '((RC == 1)) && has "$ERR" "wrong name or password"'
as admin "$ADMIN_PW"$'\n' -- --password-stdin login admin
ok_if "zsctl login admin --password-stdin" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" "logged in as admin (admin)"'
ok_if "the session file is mode 600" "$(stat -c %a "$TMP/admin/zsctl/session" 2>&1)" \
	test "$(stat -c %a "$TMP/admin/zsctl/session" 2>/dev/null)" = 600
as admin "$CAROL_PW"$'\n' -- --password-stdin account create carol
ok_if "account create carol" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" "created account carol"'
as admin "$DAVE_PW"$'\n' -- account create dave --admin --password-stdin
ok_if "account create dave --admin" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" "admin)"'
DAVE_UUID=$(grep -o '[0-9a-f-]\{36\}' <<<"$OUT" | head -n 1)
as admin "short"$'\n' -- --password-stdin account create erin
ok_if "account create with a 5-character password: exit 1, INVALID_ARGUMENT" \
	"rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" INVALID_ARGUMENT'
as admin "" -- account list
ok_if "account list shows admin, carol and dave" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && has "$OUT" carol && has "$OUT" dave && has "$OUT" admin'
as admin "" -- --json account list
ok_if "--json account list prints JSON" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && python3 -c "import json,sys; json.loads(sys.argv[1])" "$OUT"'
as admin "$CAROL_PW2"$'\n' -- --password-stdin account passwd carol
ok_if "admin: account passwd carol (no old password asked)" "rc=$RC $(short "$OUT $ERR")" \
	test "$RC" -eq 0

# ---- carol ----
as carol "$CAROL_PW"$'\n' -- --password-stdin login carol
ok_if "carol's old password no longer works" "rc=$RC $(short "$ERR")" test "$RC" -eq 1
as carol "$CAROL_PW2"$'\n' -- --password-stdin login carol
ok_if "carol logs in with the password admin set" "rc=$RC $(short "$OUT $ERR")" test "$RC" -eq 0
as carol "" -- whoami
ok_if "carol: whoami says carol, not an admin" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && has "$OUT" carol && ! has "$OUT" admin'
as carol "" -- account list
ok_if "carol: account list shows only carol" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && has "$OUT" carol && ! has "$OUT" dave'
as carol "" -- account delete dave
ok_if "carol: account delete dave: no account by that name that she may see (exit 1)" \
	"rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" "no account named dave"'
as carol "" -- account delete "$DAVE_UUID"
ok_if "carol: account delete of dave's uuid: exit 1, PERMISSION_DENIED" "rc=$RC $(short "$ERR")" \
	eval '((RC == 1)) && has "$ERR" PERMISSION_DENIED'
as carol "$CAROL_PW2"$'\n'"$CAROL_PW3"$'\n' -- --password-stdin account passwd
ok_if "carol: account passwd of her own, old then new password" "rc=$RC $(short "$OUT $ERR")" \
	test "$RC" -eq 0
as carol "" -- whoami
ok_if "carol's session survives her own password change" "rc=$RC $(short "$OUT $ERR")" test "$RC" -eq 0

# ---- admin deletes, logs out ----
as admin "" -- account delete carol
ok_if "admin: account delete carol (by name)" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && has "$OUT" "deleted account"'
as carol "" -- whoami
ok_if "carol's session ends with her account: exit 1, UNAUTHENTICATED" "rc=$RC $(short "$ERR")" \
	eval '((RC == 1)) && has "$ERR" UNAUTHENTICATED'
as admin "" -- logout
ok_if "admin: logout removes the session file" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ ! -e $TMP/admin/zsctl/session ]]'
as admin "" -- account list
ok_if "after logout, account list fails: exit 1, needs a session" "rc=$RC $(short "$ERR")" \
	eval '((RC == 1)) && has "$ERR" "needs a session"'

# ---- the node ----
leaked=0
for pw in "$ADMIN_PW" "$CAROL_PW" "$CAROL_PW2" "$CAROL_PW3" "$DAVE_PW"; do
	grep -qF -- "$pw" "$NODE_ERR" && leaked=$((leaked + 1))
done
ok_if "zsnode's stderr shows no password" "$leaked found" test "$leaked" -eq 0
kill -TERM "$NODE_PID"
wait "$NODE_PID"
RC=$?
ok_if "zsnode exits 0 on SIGTERM" "rc=$RC" test "$RC" -eq 0
ok_if "zsnode stderr has no sanitizer report" "$(grep -Em1 'AddressSanitizer|runtime error:|LeakSanitizer' "$NODE_ERR")" \
	eval '! grep -Eq "AddressSanitizer|runtime error:|LeakSanitizer" "$NODE_ERR"'

echo "zsctl_identity: $PASSED passed, $FAILED failed"
((FAILED == 0))
