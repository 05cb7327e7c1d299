import type { LiveTrigger, TriggerBody } from '../core/triggers/model';

/**
 * EKM's Trigger API as the trigger-sync use-cases see it (one key + bearer token per instance).
 * The HTTP implementation is `adapters/ekm/trigger-client.ts`; it redacts the key and the token
 * from every error.
 */
export interface TriggerApi {
  /** All triggers of one gateway (`GET /api/trigger?gateway=`). */
  list(gateway: string): Promise<LiveTrigger[]>;
  /** One trigger by uuid, or undefined when the API answers 404. */
  get(uuid: string): Promise<LiveTrigger | undefined>;
  /** Create a trigger on a gateway; returns it with its new uuid. */
  create(gateway: string, body: TriggerBody): Promise<LiveTrigger>;
  /** Modify a trigger in place (PUT with `trigger_uuid`). */
  modify(uuid: string, body: TriggerBody): Promise<LiveTrigger>;
  /** Delete a trigger; `'absent'` when it was already gone (404), so a re-run converges. */
  delete(uuid: string): Promise<'deleted' | 'absent'>;
  /**
   * Whether the token may write (READ/WRITE), found without changing anything: a DELETE of a
   * uuid that cannot exist answers 403 for a READ token and 404 for a READ/WRITE one.
   */
  canWrite(): Promise<boolean>;
}
