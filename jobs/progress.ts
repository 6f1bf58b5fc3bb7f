/**
 * Progress of `dtmc run`: a bar (cli-progress) on a terminal, plain log lines otherwise, so that
 * batch schedulers keep a readable log. Both show chunks, realisations per second and the ETA.
 */
import cliProgress from 'cli-progress';

/** auto: a bar when stderr is a terminal, else log lines; none: only the final summary. */
export type ProgressMode = 'auto' | 'bar' | 'log' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'log', 'none'];

export interface Progress {
  chunkDone(rows: number): void;
  stop(): void;
}

/** Log lines at most this often (and at the last chunk). */
const LOG_EVERY_MS = 10_000;

const duration = (s: number): string =>
  !Number.isFinite(s) ? '?' : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;

export function createProgress(mode: ProgressMode, chunks: number, realisations: number, log: (line: string) => void): Progress {
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'log') : mode;
  const started = performance.now();
  let doneChunks = 0;
  let doneRows = 0;
  const rate = (): number => doneRows / Math.max((performance.now() - started) / 1000, 1e-9);
  if (resolved === 'bar') {
    const bar = new cliProgress.SingleBar({
      format: 'chunks {bar} {value}/{total} | {rate} realisations/s | ETA {eta_text}',
      stream: process.stderr, hideCursor: true, clearOnComplete: false,
      // --progress bar asks for the bar even where stderr is not a terminal (redrawn every 2 s).
      noTTYOutput: mode === 'bar', notTTYSchedule: 2000,
    }, cliProgress.Presets.shades_classic);
    bar.start(chunks, 0, { rate: '0', eta_text: '?' });
    return {
      chunkDone(rows) {
        doneChunks++;
        doneRows += rows;
        bar.update(doneChunks, { rate: rate().toFixed(0), eta_text: duration((realisations - doneRows) / rate()) });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLog = started;
  return {
    chunkDone(rows) {
      doneChunks++;
      doneRows += rows;
      const now = performance.now();
      if (resolved === 'log' && (now - lastLog >= LOG_EVERY_MS || doneChunks === chunks)) {
        lastLog = now;
        log(`${new Date().toISOString()} chunks ${doneChunks}/${chunks}, realisations ${doneRows}/${realisations}, `
          + `${rate().toFixed(0)}/s, ETA ${duration((realisations - doneRows) / rate())}`);
      }
    },
    stop() {},
  };
}
