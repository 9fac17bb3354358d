#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600) and prints executions and crashes.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (no TARGET: every target in fuzz/Cargo.toml)
# Needs: rustup's nightly toolchain and `cargo install cargo-fuzz`.
# Seeds: fuzz/seeds/<target>/ (committed, made from the project's own files) are copied
# into fuzz/corpus/<target>/ (not committed) before each run.
# Each run's summary goes to stdout and to fuzz/results/<target>.txt.
set -uo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p results
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  if [ -d "seeds/$t" ]; then cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true; fi
  log="results/$t.log"
  cargo +nightly fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "artifacts/$t" -type f | wc -l)
  line="$(date -u +%FT%TZ) target=$t seconds=$secs executions=${execs:-?} crashes=$crashes exit=$rc corpus=$(ls "corpus/$t" | wc -l)"
  echo "$line" | tee "results/$t.txt"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then status=1; fi
done
exit $status
