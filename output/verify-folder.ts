/**
 * `dtmc verify DIR`: checks a job's output folder without writing anything. Every chunk of the
 * job gets a verdict: ok (checksum, layout, rows and values all check), missing (no file; failed
 * when its worker crashed twice and it is recorded as chunks/<chunk>.failed.json) or corrupt
 * (the file is there but fails a check: the reason says which). Under a precision target the
 * chunks past a point's decided stopping prefix are not results and get no verdict
 * (output/precision-prefix.ts).
 */
import { existsSync } from 'node:fs';
import { chunkPath, hasFailedRecord, type JobFolder } from './job-folder.js';
import { readChunkFile } from './chunk-file.js';
import { ChunkReadBuffer } from './chunk-checksum.js';
import { folderPrefixes } from './precision-prefix.js';

export const VERDICTS = ['ok', 'missing', 'failed', 'corrupt'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface ChunkVerdict {
  chunk: string;
  path: string;
  verdict: Verdict;
  /** Why a corrupt file is refused ('' otherwise). */
  problem: string;
}

export interface FolderVerdict {
  job: string;
  jobHash: string;
  chunks: ChunkVerdict[];
  counts: Record<Verdict, number>;
}

export function verifyFolder(folder: JobFolder): FolderVerdict {
  const { dir: outDir } = folder;
  const { job, jobHash } = folder.manifest;
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  const prefixes = folderPrefixes(folder); // null without a precision target
  const buffer = new ChunkReadBuffer(); // one chunk's bytes at a time
  const results = folder.chunks.filter((c) => {
    const d = prefixes?.[c.point].decision;
    return !(d?.decided && c.k >= d.chunks);
  });
  const chunks = results.map((c): ChunkVerdict => {
    const path = chunkPath(outDir, c.id);
    let verdict: Verdict = 'ok';
    let problem = '';
    if (!existsSync(path)) verdict = hasFailedRecord(outDir, c.id) ? 'failed' : 'missing';
    else {
      problem = readChunkFile(path, { jobHash, chunk: c.id, point: c.point, first: c.first, count: c.count }, buffer).problem ?? '';
      if (problem) verdict = 'corrupt';
    }
    counts[verdict]++;
    return { chunk: c.id, path, verdict, problem };
  });
  return { job: job.name, jobHash, chunks, counts };
}
