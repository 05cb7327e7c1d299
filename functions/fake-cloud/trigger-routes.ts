import type { Clock } from '../ports/clock';
import type { FakeRoute } from './fake-http';
import type { FakeAccount } from './identities';

/**
 * The local EKM cloud's Trigger API (`/api/trigger`). Owned by the trigger-sync work; the server
 * mounts it. Until that lands, the route declines every request (the server then answers 404).
 */
export function makeTriggerRoute(_account: FakeAccount, _clock: Clock): FakeRoute {
  return () => undefined;
}
