#!/bin/sh
# check_truth_at_exit.sh WORKLOAD DIR: run a workload with
# STORMLOG_DOUBLE_TRUTH set; the double must write its own ground truth at
# exit, and its live bytes must equal the workload's truth line.
set -u
workload=$1
dir=$2
double_truth=$dir/at_exit_double.json
workload_truth=$dir/at_exit_workload.json
rm -f "$double_truth" "$workload_truth"
STORMLOG_DOUBLE_TRUTH=$double_truth "$workload" --threads 4 --ops 20000 --seed 21 --truth "$workload_truth" || exit 1
if [ ! -s "$double_truth" ]; then
    echo "FAIL: the double wrote no ground truth to $double_truth"; exit 1
fi
lines=$(wc -l < "$double_truth")
if [ "$lines" -ne 1 ]; then
    echo "FAIL: $double_truth has $lines lines, want 1"; exit 1
fi
live_double=$(grep -o '"live":{[^}]*}' "$double_truth")
live_workload=$(grep -o '"live":{[^}]*}' "$workload_truth")
echo "double:   $live_double"
echo "workload: $live_workload"
if [ -z "$live_double" ] || [ "$live_double" != "$live_workload" ]; then
    echo "FAIL: live bytes differ"; exit 1
fi
