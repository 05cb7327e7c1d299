/**
 * Checks on the set of edge gateways a project config declares (`edge.gateways[]`). Each gateway
 * authenticates with its own token and owns its meters; a set that breaks this is refused:
 * - two gateways with one id (receipts, leases and lake objects are keyed by the id);
 * - one token for two gateways (the endpoint finds the first, so the other can never deliver):
 *   compared by reference here, and by resolved value once tokens are resolved;
 * - one meter on two gateways (its readings would land twice, under two origins).
 * Messages name the path, the value and the fix; a token's value is never shown.
 */

import { describeSecretRef, type SecretRef } from '@ekm-pipeline/shared';

/** A gateway token as written in the config: the one secret-reference shape (packages/shared). */
export type GatewayTokenRef = SecretRef;

export interface DeclaredGateway {
  readonly id: string;
  readonly token: GatewayTokenRef;
  readonly meters: readonly string[];
}

/** One problem: a JSON pointer inside the config and what is wrong, with the fix. */
export interface GatewaySetIssue {
  readonly path: string;
  readonly message: string;
}

/** How a token reference reads in a message: the reference, never an inline value. */
export const describeTokenRef: (ref: GatewayTokenRef) => string = describeSecretRef;

function refKey(ref: GatewayTokenRef): string {
  if ('env' in ref) return `env:${ref.env}`;
  if ('secretsManager' in ref) return `sm:${ref.secretsManager}`;
  return `value:${ref.value}`;
}

/** Problems in a declared gateway set (empty when it is safe). */
export function checkGatewaySet(gateways: readonly DeclaredGateway[]): GatewaySetIssue[] {
  const issues: GatewaySetIssue[] = [];
  const ids = new Map<string, number>();
  const tokens = new Map<string, number>();
  const meters = new Map<string, { gateway: number; index: number }>();
  gateways.forEach((g, i) => {
    const at = `/edge/gateways/${i}`;
    const sameId = ids.get(g.id);
    if (sameId !== undefined)
      issues.push({
        path: `${at}/id`,
        message: `duplicate gateway id ${JSON.stringify(g.id)} (also ${`/edge/gateways/${sameId}/id`}); give each gateway its own id`,
      });
    else ids.set(g.id, i);
    const key = refKey(g.token);
    const sameToken = tokens.get(key);
    if (sameToken !== undefined)
      issues.push({
        path: `${at}/token`,
        message: `gateway ${JSON.stringify(g.id)} uses the same token as gateway ${JSON.stringify(gateways[sameToken]?.id)} (/edge/gateways/${sameToken}/token: ${describeTokenRef(g.token)}); the endpoint knows a gateway by its token, so one of them could never deliver: give each gateway its own token`,
      });
    else tokens.set(key, i);
    g.meters.forEach((meter, m) => {
      const other = meters.get(meter);
      if (other !== undefined && other.gateway !== i)
        issues.push({
          path: `${at}/meters/${m}`,
          message: `meter ${JSON.stringify(meter)} is also on gateway ${JSON.stringify(gateways[other.gateway]?.id)} (/edge/gateways/${other.gateway}/meters/${other.index}); a meter reports through one gateway: remove it from one of them`,
        });
      else if (other === undefined) meters.set(meter, { gateway: i, index: m });
    });
  });
  return issues;
}

/**
 * Two gateways whose tokens resolve to the same value (different references, one secret): the
 * paths and ids of each pair, never the value.
 */
export function checkResolvedTokens(
  gateways: readonly { readonly id: string; readonly token: string }[],
): GatewaySetIssue[] {
  const issues: GatewaySetIssue[] = [];
  const seen = new Map<string, number>();
  gateways.forEach((g, i) => {
    const first = seen.get(g.token);
    if (first !== undefined)
      issues.push({
        path: `/edge/gateways/${i}/token`,
        message: `gateway ${JSON.stringify(g.id)}'s token resolves to the same value as gateway ${JSON.stringify(gateways[first]?.id)}'s (/edge/gateways/${first}/token; value not shown); the endpoint knows a gateway by its token, so one of them could never deliver: give each gateway its own token`,
      });
    else seen.set(g.token, i);
  });
  return issues;
}
