#!/usr/bin/env bash
# layers_test.sh: the node's layers hold. server/src/<layer>/ folders are ordered (base,
# rpc, http, db, plugin, platform/config, platform/{identity,tag,job,event}, node, kit); a file
# may use only its own layer and lower ones. Checked twice:
#   includes  every #include "..." of a layer's files resolves to its own folder, a lower
#             layer's folder, a public header (include/zs) of its layer or below, or a
#             generated header; a header found only higher up (or in a sibling) fails;
#   symbols   every zs_* symbol a layer's library leaves undefined is defined by that
#             layer or a lower one: no call climbs, so no cycle can join two layers.
# Usage: layers_test.sh SOURCE_DIR LAYER_NAME=LIBRARY.a ... (in layer order)
set -u
root=$1
src=$root/server/src
inc=$root/server/include/zs
shift
fail=0
say() { echo "FAIL $*"; fail=1; }

# rank of each layer folder; siblings share a rank but still may not use each other
declare -A rank
rank[base]=0; rank[rpc]=1; rank[http]=2; rank[db]=3; rank[plugin]=4; rank[platform/config]=5
rank[platform/identity]=6; rank[platform/tag]=6; rank[platform/job]=6; rank[platform/event]=6
rank[node]=7; rank[kit]=8
layers=(base rpc http db plugin platform/config platform/identity platform/tag platform/job
	platform/event node kit)

# which layer a public header belongs to: the lowest layer that may include it
declare -A public
for h in api clock log status timer work flow later; do public[$h]=base; done
for h in call bus check errors event; do public[$h]=rpc; done
public[http]=http
for h in db resource query; do public[$h]=db; done
for h in service ext; do public[$h]=plugin; done
public[hypervisor]=plugin
public[config]=platform/config; public[tag]=platform/tag; public[job]=platform/job
public[node]=node; public[resource_kit]=kit; public[host_ext]=kit; public[agent]=kit; public[host_alloc]=kit; public[cascade]=kit

# may layer a use layer b?
may_use() { [ "$1" = "$2" ] || [ "${rank[$2]}" -lt "${rank[$1]}" ]; }

for h in "$inc"/*.h; do
	n=$(basename "$h" .h)
	[ -n "${public[$n]:-}" ] || say "include/zs/$n.h belongs to no layer (add it to layers_test.sh)"
done

for l in "${layers[@]}"; do
	[ -d "$src/$l" ] || { say "no layer folder server/src/$l"; continue; }
	for f in "$src/$l"/*.[ch]; do
		while IFS= read -r name; do
			case "$name" in
			zs/*/v1/*) continue ;;   # generated protobuf-c headers
			zs/*)
				h=${name#zs/}; h=${h%.h}
				owner=${public[$h]:-}
				if [ -z "$owner" ]; then
					[ -f "$inc/$h.h" ] || say "${f#"$root"/}: includes $name, which does not exist"
				elif ! may_use "$l" "$owner"; then
					say "${f#"$root"/}: includes <$name> of layer $owner, above $l"
				fi
				continue ;;
			esac
			found=""
			for o in "${layers[@]}"; do
				[ -f "$src/$o/$name" ] && found="$found $o"
			done
			[ -n "$found" ] || continue   # a system or build-tree header
			ok=0
			for o in $found; do may_use "$l" "$o" && ok=1; done
			[ $ok = 1 ] || say "${f#"$root"/}: includes \"$name\" of layer${found}, above or beside $l"
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done
done

# symbols: what each layer's library defines and what it needs
declare -A defined_by
for arg in "$@"; do
	l=${arg%%=*}; lib=${arg#*=}
	[ -f "$lib" ] || { say "no library $lib for layer $l"; continue; }
	while read -r s; do defined_by[$s]=$l; done < <(nm --defined-only -g "$lib" 2>/dev/null |
		awk 'NF == 3 { print $3 }' | grep '^zs_')
done
for arg in "$@"; do
	l=${arg%%=*}; lib=${arg#*=}
	[ -f "$lib" ] || continue
	while read -r s; do
		d=${defined_by[$s]:-}
		[ -n "$d" ] || continue   # generated code or a library outside the layers
		may_use "$l" "$d" || say "layer $l calls $s, defined in layer $d above it"
	done < <(nm -u "$lib" 2>/dev/null | awk '{ print $NF }' | grep '^zs_' | sort -u)
done

if [ $fail = 0 ]; then
	echo "layers: every include and every call stays in its layer or goes down"
fi
exit $fail
