import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { DynamoTriggerDriftStore } from '../../functions/adapters/dynamo-trigger-drift-store';
import { EkmTriggerClient } from '../../functions/adapters/ekm/trigger-client';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { UndiciHttpClient } from '../../functions/adapters/undici-http-client';
import { type DriftEndpoints, openTriggerDriftCheck } from '../../functions/composition/triggers';
import type { SecretRef } from '../../functions/config/project-config';
import { loadTriggerDriftConfig } from '../../functions/config/trigger-drift-config';
import { makeTriggerDriftHandler } from '../../functions/handlers/trigger-drift';
import type { SecretResolver } from '../../functions/ports/secret-resolver';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { DEMO_ACCOUNT_KEY, DEMO_BEARER_TOKEN, DEMO_GATEWAY_MAC } from '../../local/ekm-cloud/identities';
import { type FakeCloud, startFakeCloud } from '../../local/ekm-cloud/server';

jest.setTimeout(60_000);

const TABLE = 'ekm-pipeline-state';
const BUCKET = 'lake';
const FILE_KEY = 'config/triggers.yaml';
const DESIRED = `version: 1
gateways:
  - mac: "${DEMO_GATEWAY_MAC}"
    triggers:
      - name: High power
        conditions: [{ type: data, source: meter, source_id: "000350000900", field: RMS_Watts_Tot, threshold_test: ">=", threshold_value: 12000 }]
        actions: [{ target: gateway, command: sendEmail }]
      - name: Morning relay
        conditions: [{ type: rrule, rrule: "DTSTART:20250106T060000Z\\nRRULE:FREQ=DAILY;BYHOUR=6;BYMINUTE=0" }]
        actions: [{ target: meter, target_id: "000350000900", command: setRelay, params: { relay: relay_1, status: close, duration: 60 } }]
`;

/** The Lambda's composition from its environment, as its handler builds it. */
async function driftCheckFromEnv(env: Record<string, string>, secrets: SecretResolver, endpoints: DriftEndpoints = {}) {
  return openTriggerDriftCheck(loadTriggerDriftConfig(env), secrets, endpoints);
}

/** Secrets Manager stand-in: secret ids map to values. */
const secrets: SecretResolver = {
  async resolve(ref: SecretRef) {
    const values: Record<string, string> = { 'ekm/demo/key': DEMO_ACCOUNT_KEY, 'ekm/demo/token': DEMO_BEARER_TOKEN };
    const value = 'secretsManager' in ref ? values[ref.secretsManager] : undefined;
    if (!value) throw new Error('unknown secret');
    return value;
  },
};

describe('trigger-drift handler against DynamoDB Local, s3rver and the local EKM cloud', () => {
  let aws: LocalAws;
  let cloud: FakeCloud;
  const dynamo = () => dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint });
  const env = (autoApply = '') => ({
    EKM_KEYS_JSON: JSON.stringify([
      { alias: 'demo', secret: { secretsManager: 'ekm/demo/key' }, token: { secretsManager: 'ekm/demo/token' } },
    ]),
    EKM_ACCOUNT_URL: cloud.url,
    EKM_TRIGGER_URL: cloud.url,
    STATE_TABLE: TABLE,
    TRIGGERS_FILE_URI: `s3://${BUCKET}/${FILE_KEY}`,
    DRIFT_AUTO_APPLY_GATEWAYS: autoApply,
  });
  async function runHandler(autoApply = '') {
    const built = await driftCheckFromEnv(env(autoApply), secrets, {
      s3Endpoint: aws.s3Endpoint,
      dynamoEndpoint: aws.dynamoEndpoint,
    });
    const lines: string[] = [];
    try {
      const summary = await makeTriggerDriftHandler(
        async () => built.check,
        (l) => lines.push(l),
      )({});
      return { summary, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
    } finally {
      await built.close();
    }
  }

  beforeAll(async () => {
    [aws, cloud] = await Promise.all([startLocalAws({ buckets: [BUCKET] }), startFakeCloud()]);
    const client = dynamo();
    await ensureStateTable(client, TABLE);
    client.destroy();
    await S3ObjectStore.fromConfig({ bucket: BUCKET, endpoint: aws.s3Endpoint }).put(FILE_KEY, Buffer.from(DESIRED));
  });
  afterAll(async () => {
    await Promise.all([aws?.close(), cloud?.close()]);
  });

  it('records drift, emits the EMF metrics, auto-applies per gateway, then records a hand edit as drift', async () => {
    // Act: first check, no auto-apply.
    const first = await runHandler();
    // Assess: 2 triggers missing = drift 2, recorded and emitted.
    expect(first.summary).toMatchObject({ gateways: 1, drift: 2, remaining: 2, autoApplied: [] });
    expect(first.summary.drifted).toEqual([
      { gateway: DEMO_GATEWAY_MAC, remaining: 2, triggers: ['create High power', 'create Morning relay'] },
    ]);
    const total = first.lines.find((l) => 'TriggerDriftTotal' in l);
    expect(total).toMatchObject({
      TriggerDriftTotal: 2,
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'EkmPipeline', Dimensions: [[]], Metrics: [{ Name: 'TriggerDriftTotal', Unit: 'Count' }] },
        ],
      },
    });
    expect(first.lines.find((l) => l.Gateway === DEMO_GATEWAY_MAC)).toMatchObject({ TriggerDrift: 2 });
    const client = dynamo();
    const store = new DynamoTriggerDriftStore(client, TABLE);
    expect(await store.latest(DEMO_GATEWAY_MAC)).toMatchObject({
      drift: 2,
      remaining: 2,
      autoApplied: false,
      keyAlias: 'demo',
    });

    // Act: auto-apply for the demo gateway.
    const second = await runHandler(DEMO_GATEWAY_MAC);
    expect(second.summary).toMatchObject({ drift: 2, remaining: 0, autoApplied: [DEMO_GATEWAY_MAC] });
    expect(await store.latest(DEMO_GATEWAY_MAC)).toMatchObject({ drift: 2, remaining: 0, autoApplied: true });

    // Act: hand-edit a trigger in the cloud (drift), check again without auto-apply.
    const http = new UndiciHttpClient({ maxRetries: 0 });
    const api = new EkmTriggerClient(http, {
      baseUrl: cloud.url,
      key: { alias: 'demo', key: DEMO_ACCOUNT_KEY },
      token: DEMO_BEARER_TOKEN,
    });
    const live = await api.list(DEMO_GATEWAY_MAC);
    const high = live.find((t) => t.trigger_name === 'High power');
    await api.modify(high?.trigger_uuid ?? '', {
      trigger_name: 'High power',
      enabled: false,
      conditions: high?.conditions as Record<string, unknown>[],
      actions: high?.actions as Record<string, unknown>[],
    });
    await http.close();
    const third = await runHandler();
    expect(third.summary).toMatchObject({ drift: 1, remaining: 1 });
    const latest = await store.latest(DEMO_GATEWAY_MAC);
    expect(latest?.changes).toEqual([
      { action: 'update', name: 'High power', uuid: high?.trigger_uuid, paths: ['enabled'] },
    ]);

    // Assess: one LATEST item plus one history item per check; no secret anywhere in the table.
    const scan = await client.send(new ScanCommand({ TableName: TABLE }));
    const items = (scan.Items ?? []).filter((i) => i.pk?.S === `DRIFT#${DEMO_GATEWAY_MAC}`);
    expect(items.map((i) => i.sk?.S?.replace(/CHECK#.*/, 'CHECK#')).sort()).toEqual([
      'CHECK#',
      'CHECK#',
      'CHECK#',
      'LATEST',
    ]);
    expect(
      items.filter((i) => i.sk?.S?.startsWith('CHECK#')).every((i) => Number(i.expiresAt?.N) > Date.now() / 1000),
    ).toBe(true);
    const dump = JSON.stringify(scan.Items);
    expect(dump).not.toContain(DEMO_ACCOUNT_KEY);
    expect(dump).not.toContain(DEMO_BEARER_TOKEN);
    client.destroy();
  });

  it('fails with a clear message when the desired file is missing or the env is wrong', async () => {
    const wrong = { ...env(), TRIGGERS_FILE_URI: `s3://${BUCKET}/nope.yaml` };
    const built = await driftCheckFromEnv(wrong, secrets, {
      s3Endpoint: aws.s3Endpoint,
      dynamoEndpoint: aws.dynamoEndpoint,
    });
    await expect(built.check()).rejects.toThrow(/TRIGGERS_FILE_URI: no object at s3:\/\/lake\/nope.yaml/);
    await built.close();
    await expect(driftCheckFromEnv({ ...env(), DRIFT_AUTO_APPLY_GATEWAYS: '40:16:fa' }, secrets)).rejects.toThrow(
      /DRIFT_AUTO_APPLY_GATEWAYS: "40:16:fa" is not a gateway mac/,
    );
    await expect(driftCheckFromEnv({ ...env(), TRIGGERS_FILE_URI: 'triggers.yaml' }, secrets)).rejects.toThrow(
      /is not s3:\/\/bucket\/key/,
    );
  });
});
