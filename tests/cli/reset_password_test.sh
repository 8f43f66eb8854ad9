#!/usr/bin/env bash
# reset_password_test.sh: the offline way back in when the admin password is lost:
# `zsnode --reset-admin-password` (the new password on stdin) is refused while a node runs
# on the data folder, then, with the node stopped, sets the password, says so, and ends
# admin's sessions; the node then takes the new password and not the old one. A password
# the rules refuse (too short) changes nothing. And `zsnode --properties` prints a header
# and no log line.
#
#   reset_password_test.sh ZSNODE PLUGINS_DIR ZSCTL
abs() { realpath -m "$1"; }
ZSNODE=$(abs "${1:?usage: reset_password_test.sh ZSNODE PLUGINS_DIR ZSCTL}")
PLUGINS=$(abs "$2")
ZSCTL=$(abs "$3")
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"

OLD_PW=zst-reset-old-Pa55
NEW_PW=zst-reset-new-Pa55
reset() { STDIN="$1"$'\n' run 30 env -u ZS_IDENTITY_ADMIN_PASSWORD "$ZSNODE" "${NODE_SETS[@]}" --reset-admin-password; }

# zsnode --properties (offline too): a header line, the properties, and no log lines
run 30 "$ZSNODE" "${NODE_SETS[@]}" --properties
ok_if "zsnode --properties: exit 0, a header line first, data.dir with its value" "rc=$RC $(short "$OUT")" \
	eval '((RC == 0)) && [[ $(head -n 1 <<<"$OUT") =~ ^PROPERTY\ +VALUE\ +SOURCE\ +OWNER\ +DESCRIPTION$ ]] && has "$OUT" "$DATA"'
ok_if "zsnode --properties logs nothing (no \"node stopped\")" "$(short "$ERR")" eval '[[ -z $ERR ]]'

if ! start_node --set "identity.admin_password=$OLD_PW"; then
	fail "zsnode starts" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
	summary cli_reset_password
	exit 1
fi
login admin "$OLD_PW"
OLD_SESSION=$(cat "$XDG_CONFIG_HOME/zsctl/session" 2>/dev/null)
ok_if "admin logs in with the first password" "rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && [[ -n $OLD_SESSION ]]'

reset "$NEW_PW"
ok_if "--reset-admin-password while the node runs: refused, saying the folder is in use" \
	"rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" "in use by another zsnode" && has "$ERR" "not reset"'
stop_node
ok_if "the node stops" "rc=$RC" test "$RC" -eq 0

reset short
ok_if "a password the rules refuse: exit 1, saying why" "rc=$RC $(short "$ERR")" \
	eval '((RC == 1)) && has "$ERR" "refused"'
reset "$NEW_PW"
ok_if "--reset-admin-password with the node stopped: exit 0, and says the password is reset" \
	"rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && has "$OUT" "password of account admin" && has "$OUT" reset'
ok_if "the password is on no output" "$(short "$OUT $ERR")" eval '! has "$OUT$ERR" "$NEW_PW"'

if ! start_node; then
	fail "zsnode starts again" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
	summary cli_reset_password
	exit 1
fi
login admin "$OLD_PW"
ok_if "the old password is refused (UNAUTHENTICATED, and no 'log in first' hint)" "rc=$RC $(short "$ERR")" eval '((RC == 1)) && has "$ERR" UNAUTHENTICATED && ! has "$ERR" hint:'
run 10 "$ZSCTL" --url "$RPC_URL" --session "$OLD_SESSION" whoami
ok_if "the session made before the reset is over" "rc=$RC $(short "$OUT $ERR")" test "$RC" -eq 1
login admin "$NEW_PW"
ok_if "the new password logs in" "rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && has "$OUT" "logged in as admin"'
run 10 "$ZSCTL" --url "$RPC_URL" account list
ok_if "admin is still an admin (account list works)" "rc=$RC $(short "$OUT $ERR")" eval '((RC == 0)) && has "$OUT" admin'
stop_node
summary cli_reset_password
