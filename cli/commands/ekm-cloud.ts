import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type EkmClients, makeEkmClients, resolveEkmKey } from '../../functions/adapters/ekm/clients';
import { DefaultSecretResolver } from '../../functions/adapters/secret-resolvers';
import { keyByAlias, pickKeyAlias } from '../../functions/config/key-alias';
import type { ProjectConfig } from '../../functions/config/project-config';
import { checkTimeZone, parseEkmDate } from '../../functions/core/ekm/ekm-time';
import { ValidationError } from '../../functions/core/errors';
import { toMeterId } from '../../functions/core/readings/meter-id';
import type { EkmKey, SummaryReport } from '../../functions/ports/ekm-api';
import { type FaultConfig, parseFaultConfig } from '../../local/ekm-cloud/faults';
import { generateAccount } from '../../local/ekm-cloud/generate-account';
import {
  DEMO_ACCOUNT_KEY,
  DEMO_BEARER_TOKEN,
  DEMO_GATEWAY_MAC,
  DEMO_METER_ID,
  type FakeAccount,
  type FakeMeter,
} from '../../local/ekm-cloud/identities';
import { startFakeCloud } from '../../local/ekm-cloud/server';
import { CONFIG_OPTION_HELP, findProjectConfig } from '../config-option';
import { EXIT_OK, printResult } from '../output';

function findConfig(path: string | undefined): ProjectConfig {
  return findProjectConfig(path);
}

async function withClients<T>(
  opts: { config?: string; keyAlias?: string },
  fn: (c: EkmClients, key: EkmKey) => Promise<T>,
): Promise<T> {
  const config = findConfig(opts.config);
  const key = await resolveEkmKey(config, pickKeyAlias(config, opts.keyAlias), new DefaultSecretResolver());
  const clients = makeEkmClients(config.ekm);
  try {
    return await fn(clients, key);
  } finally {
    await clients.close();
  }
}

function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ValidationError(name, `must be an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

function rateOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new ValidationError(name, `must be a rate between 0 and 1, got ${JSON.stringify(value)}`);
  return n;
}

/** `YYYYMMDDhhmm` (EKM's form) or an ISO date/time → UTC ms. */
function dateOption(name: string, value: string, tz: string): number {
  if (/^\d{12}$/.test(value)) return parseEkmDate(value, tz, name);
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ValidationError(
      name,
      `expected YYYYMMDDhhmm or an ISO date such as 2026-03-01T00:00Z, got ${JSON.stringify(value)}`,
    );
  return ms;
}

function meterList(value: string): string[] {
  return value
    .split(/[~,]/)
    .filter((s) => s.trim() !== '')
    .map((s) => toMeterId(s, '--meters'));
}

interface FakeCloudOpts {
  port: string;
  seed: string;
  faults?: string;
  latency?: string;
  rate429?: string;
  rate5xx?: string;
  rateReset?: string;
  rateTruncate?: string;
  rateSlow?: string;
  rateOutOfOrder?: string;
  rateRepeat?: string;
  meters?: string;
  account?: string;
  badReadRate?: string;
  errorStyle: string;
  json?: boolean;
}

function faultsFrom(opts: FakeCloudOpts): FaultConfig {
  let fromFile: Record<string, unknown> = {};
  if (opts.faults) {
    let text: string;
    try {
      text = readFileSync(opts.faults, 'utf8');
    } catch (cause) {
      throw new ValidationError('--faults', `cannot read ${opts.faults}; give a JSON file such as {"rate429":0.1}`, {
        cause,
      });
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (cause) {
      throw new ValidationError('--faults', `${opts.faults} is not valid JSON`, { cause });
    }
  }
  const flags: Record<string, number | undefined> = {
    latencyMs: intOption('--latency', opts.latency, 0, 600_000),
    rate429: rateOption('--rate-429', opts.rate429),
    rate5xx: rateOption('--rate-5xx', opts.rate5xx),
    rateReset: rateOption('--rate-reset', opts.rateReset),
    rateTruncate: rateOption('--rate-truncate', opts.rateTruncate),
    rateSlowBody: rateOption('--rate-slow', opts.rateSlow),
    rateOutOfOrder: rateOption('--rate-out-of-order', opts.rateOutOfOrder),
    rateRepeat: rateOption('--rate-repeat', opts.rateRepeat),
  };
  const merged: Record<string, unknown> = { seed: Number(opts.seed), ...fromFile };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  return parseFaultConfig(merged, opts.faults ?? 'fault flags');
}

/**
 * Identities for the local EKM cloud from a JSON file (shape of FakeAccount in local/ekm-cloud/identities.ts):
 * `{"keys":[{"key":"…","kind":"account|gateway|meter","scope":"…"}],"tokens":[{"token":"…","permission":"READ|READ/WRITE",
 * "privilege":"OWNER"}],"gateways":[{"mac":"4016fa0500cd","name":"…","meters":[{"id":"000350000900","protocol":"v4","relays":[]}]}]}`.
 */
function readAccountFile(file: string): FakeAccount {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ValidationError('--account', `cannot read ${file} as JSON`, { cause });
  }
  const acc = raw as Partial<FakeAccount> | null;
  if (!acc || !Array.isArray(acc.keys) || !Array.isArray(acc.tokens) || !Array.isArray(acc.gateways)) {
    throw new ValidationError('--account', `${file} must be an object with "keys", "tokens" and "gateways" lists`);
  }
  acc.keys.forEach((k, i) => {
    if (typeof k?.key !== 'string' || !['account', 'gateway', 'meter'].includes(k.kind)) {
      throw new ValidationError(`--account: keys[${i}]`, 'needs "key" (string) and "kind" (account, gateway or meter)');
    }
  });
  acc.gateways.forEach((g, i) => {
    if (typeof g?.mac !== 'string' || !/^[0-9a-f]{12}$/.test(g.mac) || !Array.isArray(g.meters)) {
      throw new ValidationError(
        `--account: gateways[${i}]`,
        'needs "mac" (12 lower-case hex digits) and a "meters" list',
      );
    }
    (g.meters as readonly FakeMeter[]).forEach((m, j) => {
      if (typeof m?.id !== 'string' || !/^\d{12}$/.test(m.id) || (m.protocol !== 'v3' && m.protocol !== 'v4')) {
        throw new ValidationError(
          `--account: gateways[${i}].meters[${j}]`,
          'needs "id" (12 digits) and "protocol" (v3 or v4)',
        );
      }
    });
  });
  return {
    keys: acc.keys,
    tokens: acc.tokens,
    gateways: acc.gateways.map((g) => ({
      ...g,
      meters: (g.meters as readonly FakeMeter[]).map((m) => ({ ...m, relays: m.relays ?? [] })),
    })),
  };
}

/** `fake-cloud`, `meters` and `read realtime|summary`: the local EKM cloud and the EKM client. */
export function registerEkmCloud(program: Command): void {
  program
    .command('fake-cloud')
    .description('Serve the local EKM cloud (realtime, summary, account and trigger APIs) on 127.0.0.1 until Ctrl-C')
    .option('--port <n>', 'port to listen on (0 = any free port)', '8400')
    .option('--seed <n>', 'simulation and fault seed', '1')
    .option('--meters <n>', 'simulate an account with N meters instead of the demo account')
    .option('--account <file>', 'JSON identities {keys, tokens, gateways} instead of the demo account')
    .option('--bad-read-rate <r>', 'share of Good: 0 reads, 0..1 (default 0.005)')
    .option('--error-style <style>', 'summary error bodies: json or legacy-text', 'json')
    .option('--faults <file>', 'JSON fault config, e.g. {"latencyMs":50,"rate429":0.1,"retryAfterSec":1}')
    .option('--latency <ms>', 'added latency per response')
    .option('--rate-429 <r>', '429 Too Many Requests (with Retry-After) rate, 0..1')
    .option('--rate-5xx <r>', '503 rate, 0..1')
    .option('--rate-reset <r>', 'connection reset rate, 0..1')
    .option('--rate-truncate <r>', 'truncated JSON body rate, 0..1')
    .option('--rate-slow <r>', 'slow (stalling) body rate, 0..1')
    .option('--rate-out-of-order <r>', 'realtime polls with shuffled reads, 0..1')
    .option('--rate-repeat <r>', 'realtime polls repeating already-seen reads, 0..1')
    .option('--json', 'print the URL and identities as JSON', false)
    .action(async (opts: FakeCloudOpts) => {
      const port = intOption('--port', opts.port, 0, 65535) ?? 8400;
      const seed = intOption('--seed', opts.seed, 0, 2 ** 31 - 1) ?? 1;
      const meterCount = intOption('--meters', opts.meters, 1, 100_000);
      if (opts.errorStyle !== 'json' && opts.errorStyle !== 'legacy-text') {
        throw new ValidationError(
          '--error-style',
          `must be json or legacy-text, got ${JSON.stringify(opts.errorStyle)}`,
        );
      }
      const faults = faultsFrom(opts);
      const badReadRate = rateOption('--bad-read-rate', opts.badReadRate);
      const cloud = await startFakeCloud({
        port,
        seed,
        faults,
        ...(meterCount ? { account: generateAccount({ meters: meterCount }) } : {}),
        ...(opts.account ? { account: readAccountFile(opts.account) } : {}),
        ...(badReadRate !== undefined ? { badReadRate } : {}),
        behaviour: { errorStyle: opts.errorStyle },
      });
      const info = {
        url: cloud.url,
        // Local identities are demo values printed on purpose: they only open this loopback server.
        key: cloud.account.keys[0]?.key ?? DEMO_ACCOUNT_KEY,
        token: cloud.account.tokens[0]?.token ?? DEMO_BEARER_TOKEN,
        gateway: cloud.account.gateways[0]?.mac ?? DEMO_GATEWAY_MAC,
        meters: cloud.account.gateways.reduce((n, g) => n + g.meters.length, 0),
        exampleMeter: cloud.account.gateways[0]?.meters[0]?.id ?? DEMO_METER_ID,
        faults,
      };
      printResult(opts, info, () =>
        [
          `Local EKM cloud listening on ${cloud.url} (Ctrl-C to stop)`,
          `  account key: ${info.key}   bearer token: ${info.token}`,
          `  gateway ${info.gateway}, ${info.meters} simulated meters, seed ${seed}`,
          `  try: curl '${cloud.url}/readMeter?key=${info.key}&meters=${info.exampleMeter.replace(/^0+/, '')}&cnt=1'`,
          `       curl '${cloud.url}/account/api/account?key=${info.key}'`,
          Object.keys(faults).length > 1 ? `  faults: ${JSON.stringify(faults)}` : '  faults: none',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await cloud.close();
      process.exitCode = EXIT_OK;
    });

  program
    .command('meters')
    .description('List the meters and gateways an EKM key can see (Account API)')
    .option('--config <path>', CONFIG_OPTION_HELP)
    .option('--key-alias <alias>', 'which configured key to use (default: the only one)')
    .option('--json', 'print JSON', false)
    .action(async (opts: { config?: string; keyAlias?: string; json?: boolean }) => {
      const result = await withClients(opts, async (c, key) => ({
        alias: key.alias,
        meters: await c.account.meters(key),
        gateways: await c.account.gateways(key),
      }));
      printResult(opts, result, () =>
        [
          `${result.meters.length} meters on key "${result.alias}":`,
          ...result.meters.map((m) => `  ${m.meter}  ${m.protocol ?? '  '}  gateway ${m.gateway ?? '-'}`),
          `${result.gateways.length} gateways: ${result.gateways.map((g) => `${g.mac}${g.name ? ` (${g.name})` : ''}`).join(', ')}`,
        ].join('\n'),
      );
    });

  const read = program.command('read').description('Pull data through the EKM client (realtime or summary)');
  read
    .command('realtime')
    .description('Latest reads per meter from the Realtime API')
    .option('--config <path>', 'project config')
    .option('--key-alias <alias>', 'which configured key to use')
    .option('--meters <ids>', 'meter ids joined with ~ or , (default: every meter of the key)')
    .option('--cnt <n>', 'reads per meter, 1..1000', '1')
    .option('--since <ms>', 'only reads newer than this UTC epoch ms')
    .option('--fields <names>', 'EKM field names joined with ~ or ,')
    .option('--json', 'print JSON', false)
    .action(
      async (opts: {
        config?: string;
        keyAlias?: string;
        meters?: string;
        cnt: string;
        since?: string;
        fields?: string;
        json?: boolean;
      }) => {
        const cnt = intOption('--cnt', opts.cnt, 1, 1000) ?? 1;
        const sinceMs = intOption('--since', opts.since, 0, Number.MAX_SAFE_INTEGER);
        const fields = opts.fields?.split(/[~,]/).filter((f) => f !== '');
        const readings = await withClients(opts, async (c, key) => {
          const meters = opts.meters ? meterList(opts.meters) : (await c.account.meters(key)).map((m) => m.meter);
          return c.realtime.read(key, {
            meters,
            cnt,
            ...(sinceMs !== undefined ? { sinceMs } : {}),
            ...(fields ? { fields } : {}),
          });
        });
        printResult(
          opts,
          readings,
          () =>
            readings
              .map((r) => {
                // Human output shows the asked-for fields, or a short default set; --json has everything.
                const shown = Object.entries(r.fields)
                  .filter(([k]) => (fields ? fields.includes(k) : ['kWh_Tot', 'RMS_Watts_Tot', 'PERR.NR'].includes(k)))
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ');
                return `${r.meter} ${new Date(r.timeMs).toISOString()} ${r.good ? 'good' : 'FAILED'} ${shown}`;
              })
              .join('\n') || 'no readings',
        );
      },
    );
  read
    .command('summary')
    .description('Summary buckets (15/hr/dy/wk/mo/range) from the Summary API; paging is handled')
    .requiredOption('--meters <ids>', 'meter ids joined with ~ or ,')
    .option('--report <r>', '15, hr, dy, wk, mo or range', 'dy')
    .requiredOption('--start <date>', 'start, YYYYMMDDhhmm in --timezone or ISO')
    .requiredOption('--end <date>', 'end (exclusive), YYYYMMDDhhmm in --timezone or ISO')
    .option(
      '--timezone <tz>',
      "IANA zone for dates and bucket boundaries (default: the key's keys[].timezone, else UTC)",
    )
    .option('--fields <patterns>', 'summary fields, * allowed (kWh_Tot*), joined with ~ or ,')
    .option('--config <path>', 'project config')
    .option('--key-alias <alias>', 'which configured key to use')
    .option('--json', 'print JSON', false)
    .action(
      async (opts: {
        meters: string;
        report: string;
        start: string;
        end: string;
        timezone?: string;
        fields?: string;
        config?: string;
        keyAlias?: string;
        json?: boolean;
      }) => {
        // Summary dates follow the site's zone: the flag, else the key's configured zone, else UTC.
        const timezone =
          opts.timezone !== undefined
            ? checkTimeZone(opts.timezone, '--timezone')
            : (() => {
                const config = findConfig(opts.config);
                return keyByAlias(config, pickKeyAlias(config, opts.keyAlias)).timezone ?? 'UTC';
              })();
        const query = {
          meters: meterList(opts.meters),
          report: opts.report as SummaryReport,
          startMs: dateOption('--start', opts.start, timezone),
          endMs: dateOption('--end', opts.end, timezone),
          timezone,
          ...(opts.fields ? { fields: opts.fields.split(/[~,]/).filter((f) => f !== '') } : {}),
        };
        const buckets = await withClients(opts, (c, key) => c.summary.read(key, query));
        printResult(
          opts,
          buckets,
          () =>
            buckets
              .map((b) => {
                const vals = Object.entries(b.values)
                  .slice(0, 6)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ');
                return `${b.meter} ${new Date(b.startMs).toISOString()} → ${new Date(b.endMs).toISOString()} ${vals}`;
              })
              .join('\n') || 'no buckets',
        );
      },
    );
}
