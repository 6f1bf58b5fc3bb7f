/**
 * The Kubernetes example in jobs/examples/ as its tests read it: the manifests (the retry Job's
 * INDEX placeholder substituted as its comment says), the Jobs by role, their container's command,
 * and the image's layout from the Dockerfile (what COPY puts where).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IContainer, IPersistentVolumeClaim } from 'kubernetes-models/v1';
import { readManifests, type Manifest } from './k8s-schema.js';
import { ROOT } from './job-runs.js';

export const EXAMPLES = join(ROOT, 'jobs', 'examples');

/** The index the tests give the retry Job, as in `sed 's/INDEX/3/g' retry-index-job.yaml`. */
export const RETRY_INDEX = 3;

/** Every document of every YAML file in jobs/examples/, placeholders substituted. */
export function exampleManifests(): Manifest[] {
  return readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) =>
    readManifests(join(EXAMPLES, f), f === 'retry-index-job.yaml' ? { INDEX: String(RETRY_INDEX) } : {}));
}

export interface ExampleJobs {
  /** indexed-job.yaml: the Indexed Job that runs the shards. */
  indexed: IJob;
  /** aggregate-job.yaml. */
  aggregate: IJob;
  /** retry-index-job.yaml: one index again. */
  retry: IJob;
  pvc: IPersistentVolumeClaim;
  /** Every Job. */
  jobs: IJob[];
}

/** The example's objects by role (each file holds one). */
export function exampleJobs(): ExampleJobs {
  const ms = exampleManifests();
  const one = (file: string): Record<string, unknown> => {
    const found = ms.filter((m) => m.file === file);
    if (found.length !== 1) throw new Error(`jobs/examples/${file} should hold one manifest, holds ${found.length}`);
    return found[0].doc;
  };
  const jobs = ms.filter((m) => m.doc.kind === 'Job').map((m) => m.doc as unknown as IJob);
  return {
    indexed: one('indexed-job.yaml') as unknown as IJob,
    aggregate: one('aggregate-job.yaml') as unknown as IJob,
    retry: one('retry-index-job.yaml') as unknown as IJob,
    pvc: one('results-pvc.yaml') as unknown as IPersistentVolumeClaim,
    jobs,
  };
}

/** A Job's one container. */
export function containerOf(job: IJob): IContainer {
  const cs = job.spec?.template.spec?.containers ?? [];
  if (cs.length !== 1) throw new Error(`Job ${job.metadata?.name} should have one container, has ${cs.length}`);
  return cs[0];
}

/** The command a Job's container runs. */
export function commandOf(job: IJob): string[] {
  const c = containerOf(job);
  if (!c.command?.length) throw new Error(`Job ${job.metadata?.name} names no command`);
  return [...c.command, ...(c.args ?? [])];
}

/** The value after `flag` in `command`, or undefined. */
export function flagValue(command: string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i >= 0 ? command[i + 1] : undefined;
}

/** What the Dockerfile copies: each source in the build context and its destination in the image. */
export interface ImageCopy {
  source: string;
  destination: string;
}

/** What the Dockerfile sets that the manifests rely on. */
export interface ImageLayout {
  /** COPY instructions, in order (ADD and COPY --from are refused). */
  copies: ImageCopy[];
  workdir?: string;
  /** USER as written ("1000:1000"). */
  user?: string;
  /** ENTRYPOINT in its exec (JSON) form. */
  entrypoint?: string[];
}

/** The Dockerfile read for the instructions in ImageLayout (the last of each kind wins). */
export function imageLayout(dockerfile = join(EXAMPLES, 'Dockerfile')): ImageLayout {
  const lines = readFileSync(dockerfile, 'utf8').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim());
  const layout: ImageLayout = { copies: [] };
  for (const line of lines) {
    const [instruction, ...words] = line.split(/\s+/);
    const rest = line.slice(instruction.length).trim();
    switch (instruction.toUpperCase()) {
      case 'ADD':
        throw new Error(`the Dockerfile uses ADD: ${line}`);
      case 'WORKDIR':
        layout.workdir = rest;
        break;
      case 'USER':
        layout.user = rest;
        break;
      case 'ENTRYPOINT':
        layout.entrypoint = JSON.parse(rest) as string[];
        break;
      case 'COPY': {
        if (words.some((w) => w.startsWith('--from'))) throw new Error(`COPY --from is not from the build context: ${line}`);
        const paths = words.filter((w) => !w.startsWith('--'));
        const destination = paths[paths.length - 1];
        for (const source of paths.slice(0, -1)) layout.copies.push({ source, destination });
        break;
      }
      default:
    }
  }
  return layout;
}

/**
 * The build-context path (relative to `context`) that an absolute path in the image comes from,
 * through the COPY instructions, or undefined when no COPY puts anything there. As Docker copies:
 * a folder's contents go into the destination; a file goes to the destination, or into it when the
 * destination ends in "/".
 */
export function contextPathOf(imagePath: string, copies: ImageCopy[], context: string): string | undefined {
  let found: string | undefined;
  for (const { source, destination } of copies) { // a later COPY overwrites an earlier one
    const folder = statSync(join(context, source), { throwIfNoEntry: false })?.isDirectory() ?? false;
    if (folder) {
      const dest = posix.join(destination, '/');
      const path = posix.join(imagePath, imagePath.endsWith('/') ? '' : '/'); // the folder itself too
      if (path.startsWith(dest)) found = posix.join(source, imagePath.slice(dest.length));
    } else {
      const at = destination.endsWith('/') ? posix.join(destination, posix.basename(source)) : destination;
      if (imagePath === at) found = source;
    }
  }
  return found;
}
