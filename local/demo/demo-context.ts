import type { ProjectConfig } from '../../functions/config/project-config';

/**
 * What `npm start` stages share. Each stage reads what earlier stages started and adds its own
 * services; every started service registers a closer so the run always exits cleanly.
 */
export interface DemoContext {
  /** Git-ignored state folder for the local stack (`.local/`). */
  readonly stateDir: string;
  /** `npm start -- --serve`: keep services up and run schedules instead of exiting. */
  readonly serve: boolean;
  /** Print one human progress line. */
  log(line: string): void;
  /** Register a closer, run in reverse order at the end (or on Ctrl-C). */
  onClose(close: () => Promise<void> | void): void;
  /** Filled by the stages as the local stack comes up. */
  readonly local: LocalStack;
}

export interface LocalStack {
  /** Base URL of the local EKM cloud (all four APIs on one port). */
  cloudUrl?: string;
  /** The project config pointing every API, the lake and the state table at the local stack. */
  config?: ProjectConfig;
  /** S3-compatible endpoint and DynamoDB Local endpoint. */
  s3Endpoint?: string;
  dynamoEndpoint?: string;
  /** Local edge ingest endpoint. */
  edgeIngestUrl?: string;
}

export interface DemoStage {
  readonly name: string;
  /** Runs the stage once; returns short summary lines (what ran, what it produced, where). */
  run(ctx: DemoContext): Promise<string[]>;
  /**
   * With `--serve`, what the stage keeps doing on a timer after the first run (e.g. realtime ingest
   * every minute, as the scheduled Lambda does in AWS). Runs never overlap; returns one summary line.
   */
  readonly schedule?: { readonly everyMs: number; run(ctx: DemoContext): Promise<string> };
}
