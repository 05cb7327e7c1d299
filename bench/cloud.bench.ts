import { EkmRealtimeClient } from '../functions/adapters/ekm/realtime-client';
import { UndiciHttpClient } from '../functions/adapters/undici-http-client';
import { parseReadResponse } from '../functions/core/ekm/realtime';
import { generateAccount } from '../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../local/ekm-cloud/identities';
import { startFakeCloud } from '../local/ekm-cloud/server';
import { startFakeCloudProcess } from './support/fake-cloud-process';

const key = { alias: 'bench', key: DEMO_ACCOUNT_KEY };

async function parseBench(): Promise<void> {
  const cloud = await startFakeCloud({ account: generateAccount({ meters: 20 }), seed: 1 });
  const ids = cloud.account.gateways.flatMap((g) => g.meters.map((m) => m.id));
  const serials = ids.map((id) => id.replace(/^0+/, '')).join('~');
  const body = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=${serials}&cnt=1000`).then((r) =>
    r.text(),
  );
  await cloud.close();
  const reads = parseReadResponse(body, { via: 'bench' }).length;
  const rounds = 8;
  const gc = (globalThis as { gc?: () => void }).gc;
  const once = (fn: () => void) => {
    gc?.();
    const t = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  // Alternate the two so neither pays for the other's garbage; sum over the rounds after a warm-up.
  once(() => JSON.parse(body));
  once(() => parseReadResponse(body, { via: 'bench' }));
  let bare = 0;
  let full = 0;
  for (let i = 0; i < rounds; i++) {
    bare += once(() => JSON.parse(body));
    full += once(() => parseReadResponse(body, { via: 'bench' }));
  }
  console.log(
    `(a) realtime body: ${(body.length / 1e6).toFixed(1)} MB, ${ids.length} meters × 1000 reads = ${reads} readings, ${rounds} rounds`,
  );
  console.log(
    `    JSON.parse only:        ${((reads * rounds) / bare).toFixed(0)} readings/s (${((body.length * rounds) / bare / 1e6).toFixed(0)} MB/s)`,
  );
  console.log(
    `    parse + normalize:      ${((reads * rounds) / full).toFixed(0)} readings/s (${((body.length * rounds) / full / 1e6).toFixed(0)} MB/s)`,
  );
  console.log(`    ratio (normalize/bare): ${(full / bare).toFixed(2)}× the time of JSON.parse`);
}

async function pullBench(meters: number, latencyMs: number, batchSize: number, concurrency: number): Promise<void> {
  const cloud = await startFakeCloudProcess({ meters, latencyMs });
  const url = cloud.url;
  try {
    const http = new UndiciHttpClient({ maxConcurrencyPerHost: concurrency });
    const realtime = new EkmRealtimeClient(http, { baseUrl: url, batchSize, parallelBatches: concurrency * 2 });
    const ids = generateAccount({ meters }).gateways.flatMap((g) => g.meters.map((m) => m.id));
    const t = Date.now();
    const readings = await realtime.read(key, { meters: ids, cnt: 1 });
    const wall = (Date.now() - t) / 1000;
    const s = http.stats();
    console.log(
      `(b) ${meters} meters × latest read, ${latencyMs} ms latency, batch ${batchSize}, ${concurrency} connections: ` +
        `${wall.toFixed(2)} s wall, ${s.requests} requests (${s.retries} retries), ${readings.length} readings, ${(readings.length / wall).toFixed(0)} readings/s`,
    );
    await http.close();
  } finally {
    await cloud.stop();
  }
}

async function main(): Promise<void> {
  await parseBench();
  await pullBench(10_000, 50, 25, 8);
  await pullBench(10_000, 50, 100, 16);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
