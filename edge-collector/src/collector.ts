/**
 * `ekm-edge run`: poll the bus round-robin, append every good reading to the spool first, and
 * upload from the spool in the background (one upload at a time, never blocking the bus).
 */

import { asError } from '@ekm-pipeline/shared';
import type { EdgeConfig } from './config';
import { BusSchedule } from './protocol/bus-schedule';
import { readMeter } from './read-meter';
import type { ByteLink, Timers } from './transport/byte-link';
import type { Spool } from './uplink/spool';
import { authRefusalMessage, flushSpool, type Uplink } from './uplink/uploader';

export interface CollectorStats {
  reads: number;
  failures: number;
  uploaded: number;
  uploadRetries: number;
  /** Batches the pipeline refused for good (kept in the spool's `rejected` table). */
  rejectedBatches: number;
}

export interface CollectorDeps {
  readonly config: EdgeConfig;
  readonly link: ByteLink;
  readonly timers: Timers;
  readonly spool: Spool;
  readonly uplink: Uplink;
  readonly log: (line: string) => void;
}

export class Collector {
  readonly stats: CollectorStats = { reads: 0, failures: 0, uploaded: 0, uploadRetries: 0, rejectedBatches: 0 };
  private stopping = false;
  private uploading: Promise<void> | undefined;
  private nextUploadAt = 0;

  constructor(private readonly deps: CollectorDeps) {}

  stop(): void {
    this.stopping = true;
  }

  /** Run until stop() (or `maxReads` reads, for tests and demos); then flush once more. */
  async run(maxReads = Number.POSITIVE_INFINITY): Promise<CollectorStats> {
    const { config, link, timers, spool, log } = this.deps;
    const schedule = new BusSchedule(config.meters, config.schedule.bEvery);
    let done = 0;
    while (!this.stopping && done < maxReads) {
      const target = schedule.next();
      const outcome = await readMeter(link, timers, target, config.gateway, config.timing);
      done++;
      if (outcome.ok) {
        spool.append(outcome.reading); // durable before anything else happens
        this.stats.reads++;
      } else {
        this.stats.failures++;
        log(`read ${outcome.address} failed: ${outcome.failure}: ${outcome.message}`);
      }
      this.maybeUpload();
      if (config.schedule.pauseMs > 0)
        await new Promise((r) => timers.setTimeout(() => r(undefined), config.schedule.pauseMs));
    }
    await this.uploading;
    this.nextUploadAt = 0;
    this.maybeUpload();
    await this.uploading;
    return this.stats;
  }

  private maybeUpload(): void {
    const { config, timers, spool, uplink, log } = this.deps;
    if (this.uploading || timers.now() < this.nextUploadAt) return;
    this.nextUploadAt = timers.now() + config.uplink.intervalMs;
    this.uploading = flushSpool(spool, uplink, {
      gateway: config.gateway,
      batchSize: config.uplink.batchSize,
      now: timers.now,
    })
      .then((s) => {
        this.stats.uploaded += s.readings;
        this.stats.uploadRetries += s.retries;
        this.stats.rejectedBatches += s.rejected;
        if (s.rejected > 0) log(`${s.rejected} batch(es) refused by the pipeline; kept in the spool's rejected table`);
        // Once per backoff step: a flush that finds nothing due reports nothing.
        if (s.authRefused !== undefined) log(authRefusalMessage(s.authRefused, s.backoffMs));
        else if (s.backoffMs !== undefined) log(`upload failed; retrying in ${Math.round(s.backoffMs / 1000)} s`);
      })
      .catch((error: unknown) => log(`upload error: ${asError(error).message}`))
      .finally(() => {
        this.uploading = undefined;
      });
  }
}
