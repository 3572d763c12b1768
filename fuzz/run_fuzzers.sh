#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer target for SECONDS and prints one line per
# target (seconds, executions, crashes) as a Markdown table for
# docs/security.md. Corpora are kept in BUILD/corpus/<target> (the first
# corpus directory libFuzzer writes new inputs to), crash inputs in
# BUILD/crashes/<target>/ and logs in BUILD/fuzz-logs/. The seeds are read in
# place from tests/fixtures (raw samples: each target reads them as they are)
# and fuzz/seeds (inputs with the targets' control bytes).
#
# usage: fuzz/run_fuzzers.sh BUILD SECONDS [TARGET...]   (FUZZ_JOBS targets at a time, default 2)
set -uo pipefail
build=$(cd "$1" && pwd)
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$root/tests/fixtures
all=(hl7_message mllp_framer systemone_wire channel_yaml fhir_resource fhir_search admin_http intake_record)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
jobs=${FUZZ_JOBS:-2}

seeds_of() {
  case $1 in
    hl7_message) echo "$fixtures/samples/hl7v2 $fixtures/samples/hl7v2/malformed" ;;
    mllp_framer) echo "$root/fuzz/seeds/mllp_framer" ;;
    systemone_wire) echo "$fixtures/samples/systemone" ;;
    channel_yaml) echo "$root/channels $fixtures/config $fixtures/integration" ;;
    fhir_resource) echo "$fixtures/samples/fhir" ;;
    fhir_search) echo "$root/fuzz/seeds/fhir_search" ;;
    admin_http) echo "$root/fuzz/seeds/admin_http" ;;
    intake_record) echo "$root/fuzz/seeds/intake_record" ;;
  esac
}

run_one() {
  local target=$1 binary=$build/fuzz_$1
  local corpus=$build/corpus/$target crashes=$build/crashes/$target log=$build/fuzz-logs/$target.log
  mkdir -p "$corpus" "$crashes" "$build/fuzz-logs"
  local dict=()
  [ -f "$root/fuzz/dictionaries/$target.dict" ] && dict=(-dict="$root/fuzz/dictionaries/$target.dict")
  # A failed admin login spends a 600,000-iteration PBKDF2 (about a second
  # under ASan, far longer on a loaded host, up to four pipelined): slow, not hung.
  local timeout=25
  [ "$target" = admin_http ] && timeout=120
  local before started ended stamp
  before=$(find "$crashes" -type f | wc -l)
  stamp=$build/fuzz-logs/$target.started
  touch "$stamp"
  started=$(date +%s)
  # -timeout: an input that runs longer is a hang; -rss_limit_mb: a leak or a bomb.
  # shellcheck disable=SC2046
  nice -n 10 "$binary" "$corpus" $(seeds_of "$target") "${dict[@]}" -max_total_time="$seconds" \
    -timeout="$timeout" -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" \
    >"$log" 2>&1
  local rc=$?
  ended=$(date +%s)
  local execs crashes_now
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  crashes_now=$(( $(find "$crashes" -type f | wc -l) - before ))
  echo "| $target | $((ended - started)) | ${execs:-0} | $crashes_now | $(find "$corpus" -type f | wc -l) | rc=$rc |"
  if [ "$crashes_now" -gt 0 ]; then
    echo "|   crash: $(find "$crashes" -type f -newer "$stamp" | head -3 | tr '\n' ' ') (log: $log)"
  fi
}

echo "| target | seconds | executions | crashes | corpus | exit |"
echo "| --- | --- | --- | --- | --- | --- |"
running=0
for target in "${targets[@]}"; do
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
