#!/usr/bin/env bash
# readme_client_test.sh: README's "Using the C client" as a new user follows it: the
# program between the readme-client-program markers goes into app.c, and the shell block
# after it runs as written (cmake --install build --prefix $HOME/zs, pkg-config, cc with
# the rpath, the program with the password on stdin), with HOME a temp folder, `build`
# this build tree, and only the node's address changed to the test node's. The program
# must log in (zs_client_login), call Echo/Say with the client's session, and print hi.
# The install is also checked for the bash completion script.
#
#   readme_client_test.sh ZSNODE PLUGINS_DIR ZSCTL BUILD_DIR README
abs() { realpath -m "$1"; }
ZSNODE=$(abs "${1:?usage: readme_client_test.sh ZSNODE PLUGINS_DIR ZSCTL BUILD_DIR README}")
PLUGINS=$(abs "$2")
ZSCTL=$(abs "$3")
BUILD=$(abs "$4")
README=$(abs "$5")
# shellcheck source=cli_lib.sh
. "$(dirname "$0")/cli_lib.sh"

ADMIN_PASSWORD=zst-readme-Pa55
WORK=$TMP/work
mkdir -p "$WORK" "$TMP/home"
ln -s "$BUILD" "$WORK/build"

# the program: the lines between the markers, without the fences
sed -n '/^<!-- readme-client-program -->$/,/^<!-- readme-client-program-end -->$/p' "$README" |
	sed '1d;$d' | sed '1{/^```c$/d};${/^```$/d}' >"$WORK/app.c"
ok_if "README has the program between its markers" "$(head -c 200 "$WORK/app.c")" \
	eval 'grep -q "zs_client_login" "$WORK/app.c" && grep -q "^main(int argc" "$WORK/app.c"'
# the commands: the first sh block after the end marker
awk '/^<!-- readme-client-program-end -->$/ {after = 1} after && /^```sh$/ {inblock = 1; next}
	inblock && /^```$/ {exit} inblock {print}' "$README" >"$WORK/build.sh"
ok_if "README says how to install, build and run it" "$(short "$(cat "$WORK/build.sh")")" \
	eval 'grep -q "cmake --install build --prefix" "$WORK/build.sh" && grep -q "pkg-config" "$WORK/build.sh"'

if ! start_node --set "identity.admin_password=$ADMIN_PASSWORD"; then
	fail "zsnode starts" "$(tail -n 5 "$NODE_ERR" | tr '\n' ' ')"
	summary cli_readme_client
	exit 1
fi
sed -i "s|tcp://127.0.0.1:5570|$RPC_URL|g" "$WORK/build.sh"
# A sanitizer build's libzsclient needs the ASan runtime, which a program built with plain
# cc does not load first: let it come with the library (only in such a build).
if ldd "$BUILD/clients/libzsclient.so" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
fi
(cd "$WORK" && HOME=$TMP/home ADMIN_PASSWORD=$ADMIN_PASSWORD PKG_CONFIG_PATH= \
	timeout -k 2 90 bash -e "$WORK/build.sh") >"$TMP/out" 2>"$TMP/err"
RC=$?
OUT=$(cat "$TMP/out")
ERR=$(grep -v '^-- ' "$TMP/err")
ok_if "the README's commands run as written: the program prints hi" "rc=$RC $(short "$OUT $ERR")" \
	eval '((RC == 0)) && [[ $(tail -n 1 <<<"$OUT") == hi ]]'
ok_if "the install has the bash completion script" "$(ls "$TMP/home/zs/share/bash-completion/completions" 2>&1)" \
	eval 'grep -q "complete -F _zsctl zsctl" "$TMP/home/zs/share/bash-completion/completions/zsctl"'
ok_if "the install has zsctl in bin" "" \
	eval '[[ -x $TMP/home/zs/bin/zsctl ]]'
if [[ -x $WORK/app ]]; then
	STDIN="wrong-password"$'\n' run 10 "$WORK/app" "$RPC_URL" admin
	ok_if "with a wrong password the program says UNAUTHENTICATED and exits 1" "rc=$RC $(short "$ERR")" \
		eval '((RC == 1)) && has "$ERR" UNAUTHENTICATED'
fi
stop_node
summary cli_readme_client
