/** A queue the schedule puts units of work on (SQS in AWS, in-process under `npm start -- --serve`). */
export interface MessageQueue {
  /** Send each body as one message; resolves once all are accepted. */
  send(bodies: readonly string[]): Promise<void>;
}
