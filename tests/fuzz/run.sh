#!/bin/sh
# run.sh BUILD SECONDS RSS_MB [TARGET...]: `make fuzz`. Fuzzes each target of BUILD (a
# ZS_FUZZ build; default every tests/fuzz/corpus/<target>) for SECONDS, one after the
# other, growing a copy of its seed corpus in BUILD so the tree stays as it is. Prints the
# executions of each; an input that fails is kept in BUILD/tests/fuzz/findings/ and the
# run exits non-zero once every target has run.
set -u
build=$1 seconds=$2 rss=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
out="$build/tests/fuzz"
[ $# -gt 0 ] || set -- $(ls "$here/corpus")
mkdir -p "$out/findings" "$out/logs"
failed=
for t in "$@"; do
	mkdir -p "$out/corpus/$t"
	cp -n "$here/corpus/$t"/* "$out/corpus/$t"/ 2>/dev/null
	dict=
	[ -f "$here/dict/$t.dict" ] && dict="-dict=$here/dict/$t.dict"
	echo "fuzz_$t: ${seconds}s from $(ls "$out/corpus/$t" | wc -l) inputs"
	"$out/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb="$rss" -timeout=30 \
	    -print_final_stats=1 $dict -artifact_prefix="$out/findings/$t-" "$out/corpus/$t" \
	    >"$out/logs/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/logs/$t.log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out/logs/$t.log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "fuzz_$t: ${runs:-?} executions, $cov, nothing found"
	else
		echo "fuzz_$t: FOUND after ${runs:-?} executions (exit $rc): see $out/logs/$t.log"
		grep -E '^==[0-9]+==ERROR|^SUMMARY|fuzz property broken|Test unit written' "$out/logs/$t.log"
		failed="$failed $t"
	fi
done
[ -z "$failed" ] || { echo "findings in:$failed"; exit 1; }
