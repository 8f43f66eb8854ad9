#!/usr/bin/env bash
# exports_test.sh: libzscore exports what server/include/zs declares and nothing else, so a
# plugin cannot link the node's insides. Checks that every exported function or object
# (but protoc-c's generated zs__* and google__protobuf__* code, and zs-gen's tables of
# field comments zs_comments_*, which reflection finds by name) is declared in a public header, that a plugin
# using a public function links, and that one using an internal function (the router's)
# does not.
# Usage: exports_test.sh SOURCE_DIR LIBZSCORE CC WORK_DIR
set -u
root=$1 lib=$2 cc=$3 work=$4
fail=0
say() { echo "FAIL $*"; fail=1; }
mkdir -p "$work"

exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | grep -v '^zs__\|^google__protobuf__\|^zs_comments_' | sort -u)
[ -n "$exported" ] || say "libzscore exports nothing (is it built?)"
n=0
for s in $exported; do
	n=$((n + 1))
	grep -qw -- "$s" "$root"/server/include/zs/*.h || say "libzscore exports $s, which no public header declares"
done
grep -q '^zs_router_find$' <<<"$exported" && say "libzscore exports zs_router_find (internal)"

# A plugin that uses the public API links...
cat > "$work/good.c" <<'C'
#include "zs/log.h"
void probe(void) { zs_log(ZS_LOG_INFO, "probe", "linked"); }
C
"$cc" -shared -fPIC -I"$root/server/include" -o "$work/good.so" "$work/good.c" "$lib" \
	-Wl,--no-undefined >"$work/good.log" 2>&1 || { say "a plugin using zs_log does not link:"; cat "$work/good.log"; }

# ...one that reaches for an internal function does not.
cat > "$work/bad.c" <<'C'
/* declared by hand: no public header has it */
struct zs_router;
const void *zs_router_find(const struct zs_router *r, const char *method, int *code,
    char *err, unsigned long errlen);
const void *probe(void) { return zs_router_find(0, "x", 0, 0, 0); }
C
if "$cc" -shared -fPIC -o "$work/bad.so" "$work/bad.c" "$lib" -Wl,--no-undefined \
	>"$work/bad.log" 2>&1; then
	say "a plugin linked zs_router_find, an internal function"
elif ! grep -q "undefined reference to .zs_router_find" "$work/bad.log"; then
	say "linking zs_router_find failed, but not for the reason expected:"; cat "$work/bad.log"
fi

[ $fail = 0 ] && echo "exports: $n symbols, each declared in include/zs; internal ones do not link"
exit $fail
