/**
 * The environment variables `dtmc run` reads, declared once for its help. Each stands for an
 * option (the option wins: flag > variable > job file > default) or comes from a scheduler. They
 * are read by name where used (jobs/shard-env.ts, jobs/cpu-budget.ts, the run command), not by
 * yargs' .env('DTMC'): that would turn every DTMC_* variable into an option of `run`, and under
 * .strict() an unrelated one (DTMC_WASM_DIR of the offline bundle) would fail it as an unknown
 * argument.
 */

/** A variable and what it does, as listed in `dtmc run --help`. */
export interface EnvVariable {
  name: string;
  meaning: string;
}

export const RUN_ENVIRONMENT: readonly EnvVariable[] = [
  { name: 'DTMC_OUT', meaning: '--out: the output folder' },
  { name: 'DTMC_SHARD', meaning: '--shard: i/n or auto' },
  { name: 'DTMC_SHARDS', meaning: '--shards: the number of shards with --shard auto' },
  { name: 'DTMC_SHARD_BASE', meaning: '--shard-base: the array id of shard 0 with --shard auto --shards N' },
  { name: 'DTMC_WORKERS', meaning: '--workers: worker threads, over the job\'s "workers"' },
  { name: 'SLURM_ARRAY_TASK_ID', meaning: 'Slurm array task id, the shard with --shard auto (with _MIN, _MAX, _STEP, _COUNT: the array)' },
  { name: 'JOB_COMPLETION_INDEX', meaning: 'Kubernetes Indexed Job index, the shard with --shard auto (needs --shards)' },
  { name: 'SLURM_CPUS_PER_TASK', meaning: 'caps workers "auto", with the cgroup CPU limit and the affinity mask' },
];

/** The "Environment:" paragraph of `dtmc run --help`. */
export function runEnvironmentHelp(): string {
  const width = Math.max(...RUN_ENVIRONMENT.map((v) => v.name.length));
  return ['Environment (a flag wins over its variable):', ...RUN_ENVIRONMENT.map((v) => `  ${v.name.padEnd(width)}  ${v.meaning}`)].join('\n');
}
