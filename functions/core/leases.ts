/**
 * Names of the leases (`LOCK#<name>` items in the state table) that keep two runs of one job off
 * the same data. Built and parsed only here, so the writer that takes a lease, the compaction that
 * waits for it and `ekm-pipeline unlock` that releases it agree on the spelling.
 *
 * The separators are stored in deployed tables and stay as they are: `#` for key-alias and property
 * leases, `-` for an edge gateway's lease.
 */
export type LeaseJob = 'ingest-realtime' | 'ingest-summary' | 'edge-ingest' | 'bill-close';

export type LeaseName =
  | `ingest-realtime#${string}`
  | `ingest-summary#${string}`
  | `edge-ingest-${string}`
  | `bill-close#${string}`;

const SEPARATOR: Record<LeaseJob, '#' | '-'> = {
  'ingest-realtime': '#',
  'ingest-summary': '#',
  'edge-ingest': '-',
  'bill-close': '#',
};

/**
 * The lease of `job` for `subject`: a key alias (`ingest-realtime`, `ingest-summary`), an edge
 * gateway id (`edge-ingest`) or a billed property (`bill-close`).
 */
export function leaseName(job: LeaseJob, subject: string): LeaseName {
  return `${job}${SEPARATOR[job]}${subject}` as LeaseName;
}

/** The job and subject of a lease name, or `undefined` for a name no job builds. */
export function parseLeaseName(name: string): { job: LeaseJob; subject: string } | undefined {
  for (const job of Object.keys(SEPARATOR) as LeaseJob[]) {
    const prefix = `${job}${SEPARATOR[job]}`;
    if (name.startsWith(prefix) && name.length > prefix.length) return { job, subject: name.slice(prefix.length) };
  }
  return undefined;
}
