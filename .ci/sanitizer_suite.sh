#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (`make
# asan`, CI's second step). Every process writes its reports to
# BUILD/sanitizer-logs/ (log_path), the engines the tests start included, so
# a report fails the run even when the test that caused it passed (a child
# engine's heap overflow the test did not look for). UBSan halts at its first
# report, like ASan, instead of printing and going on.
#
# usage: .ci/sanitizer_suite.sh BUILD [ctest arguments...]
set -uo pipefail
build=$(cd "$1" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
suppressions=$root/.ci/lsan.supp
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$suppressions:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$logs/ubsan:halt_on_error=1:print_stacktrace=1"
started=$(date +%s)
(cd "$build" && ctest --output-on-failure "$@")
rc=$?
echo "sanitizer suite: ctest exit $rc after $(( $(date +%s) - started )) s"
reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "sanitizer reports ($(echo "$reports" | wc -l)):"
  for report in $reports; do
    echo "== $report"
    head -60 "$report"
  done
  exit 1
fi
exit $rc
