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

/**
 * Counts a key's scheduled realtime ingest may be split into by meter shard: the divisors of the 64
 * cursor pages (core/ekm/cursor-pages.ts), so every page of cursors belongs to one part and two parts
 * never write the same page.
 */
export const REALTIME_SHARD_COUNTS: readonly number[] = [1, 2, 4, 8, 16, 32, 64];

const two = (n: number) => String(n).padStart(2, '0');

/**
 * The lease subject of one part of a key's realtime ingest (`<alias>#s03of08`): the meters whose lake
 * shard for `count` shards is `index`. Parts of one key run at once; each holds its own lease.
 */
export function realtimeShardSubject(alias: string, index: number, count: number): string {
  return `${alias}#${realtimePartLabel(index, count)}`;
}

/** How a part is named in its lease and its run records (`s03of08`). */
export function realtimePartLabel(index: number, count: number): string {
  return `s${two(index)}of${two(count)}`;
}

/**
 * Every lease a realtime ingest of `alias` may hold: the whole key's and, when the key's ingest is
 * split into `shards` parts, each part's. Compaction and `ekm-pipeline unlock` take or release them all.
 */
export function realtimeLeases(alias: string, shards = 1): LeaseName[] {
  const parts =
    shards > 1
      ? Array.from({ length: shards }, (_, i) => leaseName('ingest-realtime', realtimeShardSubject(alias, i, shards)))
      : [];
  return [leaseName('ingest-realtime', alias), ...parts];
}
