/**
 * What `dtmc plot` can be asked to draw (a job file's "plot" field): declared here, beside the
 * charts (output/plot.ts), and validated by the job file's schema (jobs/job-file.ts).
 */

/** latency: mean J with its CI; offload: mean offloading portion; vs-ao: paired J - J(ao) with its CI (jobs sweeping method). */
export const PLOT_PANELS = ['latency', 'offload', 'vs-ao'] as const;
export type PlotPanel = (typeof PLOT_PANELS)[number];

/** A job's plot settings; every field optional (defaults: output/plot.ts `plotAxes`). */
export interface PlotSettings {
  title?: string;
  /** The swept parameter on the x axis [default: the last swept numeric parameter]. */
  x?: string;
  /** Panels stacked top to bottom [default: latency only]. */
  panels?: readonly PlotPanel[];
}
