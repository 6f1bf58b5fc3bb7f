#!/bin/bash
# Submits a dtmc job to Slurm: its shards as an array (slurm-array.sbatch), then its summary
# (slurm-aggregate.sbatch) to run when every task has succeeded, both with the same JOB and OUT.
# From the project folder (after npm ci); further arguments are sbatch options for both jobs
# (e.g. --partition, --account):
#
#   OUT=$HOME/dtmc/fig2 jobs/examples/slurm-submit.sh                        # jobs/fig2.json, 8 tasks
#   JOB=jobs/fig3.json OUT=/shared/dtmc/fig3 DTMC_SHARDS=16 jobs/examples/slurm-submit.sh --partition=batch
set -euo pipefail
JOB=${JOB:-jobs/fig2.json}
: "${OUT:?set OUT to the output folder, on a file system every node sees}"
OUT=$(realpath -m -- "$OUT")   # the same folder for every task and the aggregate, wherever they start
here=$(dirname -- "$0")
node dist/cli/main.js run "$JOB" --dry-run > /dev/null   # a bad job file stops here, not in every task
export JOB OUT
# --array=0-(DTMC_SHARDS - 1) when DTMC_SHARDS is given; else the array script's own (0-7, 8 shards).
array=$(sbatch --parsable ${DTMC_SHARDS:+--array=0-$((DTMC_SHARDS - 1))} --export=ALL "$@" "$here/slurm-array.sbatch")
array=${array%%;*}   # "id;cluster" on a multi-cluster system
aggregate=$(sbatch --parsable --dependency=afterok:"$array" --export=ALL "$@" "$here/slurm-aggregate.sbatch")
aggregate=${aggregate%%;*}
echo "array job $array: $JOB into $OUT; logs dtmc-${array}_<index>.log"
echo "aggregate job $aggregate runs after every task has succeeded; log dtmc-aggregate-$aggregate.log"
echo "watch: squeue --jobs=$array,$aggregate"
