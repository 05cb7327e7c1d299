import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { ENV } from '../../functions/config/env-names';
import type * as CompactHandler from '../../functions/handlers/compact-lake';
import type * as RealtimeHandler from '../../functions/handlers/ingest-realtime';
import type * as SummaryHandler from '../../functions/handlers/ingest-summary';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { DEMO_ACCOUNT_KEY } from '../../local/ekm-cloud/identities';
import { type FakeCloud, manualClock, startFakeCloud } from '../../local/ekm-cloud/server';

/**
 * The three lake Lambdas, wired only from their environment (as the CDK stack sets it), against
 * the local EKM cloud, s3rver and DynamoDB Local (AWS_ENDPOINT_URL_* point the SDK there) with the
 * key coming from a mocked Secrets Manager.
 */
let aws: LocalAws;
let cloud: FakeCloud;
const sm = mockClient(SecretsManagerClient);
const saved = { ...process.env };

beforeAll(async () => {
  [aws, cloud] = await Promise.all([
    startLocalAws({ buckets: ['handler-lake'] }),
    startFakeCloud({ clock: manualClock(Date.now()), seed: 5 }),
  ]);
  await ensureStateTable(dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint }), 'handler-state');
  Object.assign(process.env, {
    [ENV.EKM_KEYS_JSON]: JSON.stringify([{ alias: 'demo', secret: { secretsManager: 'ekm/demo' } }]),
    [ENV.EKM_REALTIME_URL]: cloud.url,
    [ENV.EKM_SUMMARY_URL]: cloud.url,
    [ENV.EKM_ACCOUNT_URL]: cloud.url,
    [ENV.LAKE_BUCKET]: 'handler-lake',
    [ENV.LAKE_PREFIX]: 'lake',
    [ENV.STATE_TABLE]: 'handler-state',
    AWS_REGION: 'us-east-1',
    // s3rver's fixed credentials; DynamoDB Local accepts any.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoEndpoint,
  });
  sm.on(GetSecretValueCommand).resolves({ SecretString: DEMO_ACCOUNT_KEY });
}, 60_000);
afterAll(async () => {
  process.env = saved;
  sm.restore();
  await Promise.all([aws?.close(), cloud?.close()]);
});

describe('lake Lambda handlers', () => {
  it('ingest-realtime, ingest-summary and compact-lake run from env alone and return small summaries', async () => {
    // Prepare: modules read their config at import (cold start), after the env is set
    const { handler: realtime } = require('../../functions/handlers/ingest-realtime') as typeof RealtimeHandler;
    const { handler: summary } = require('../../functions/handlers/ingest-summary') as typeof SummaryHandler;
    const { handler: compact } = require('../../functions/handlers/compact-lake') as typeof CompactHandler;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // Act
    const rt = await realtime({});
    const sum = await summary({ fromMs: Date.now() - 3 * 3_600_000 });
    const comp = await compact({});
    // Assess
    expect(rt.results).toEqual([
      expect.objectContaining({ alias: 'demo', meters: expect.any(Number), reads: expect.any(Number) }),
    ]);
    expect(rt.results[0]!.reads).toBeGreaterThan(1000);
    expect(sum.results[0]!.buckets).toBeGreaterThan(0);
    expect(comp).toMatchObject({ job: 'compact' });
    const logged = log.mock.calls.map((c) => String(c[0])).join('\n');
    expect(logged).toContain('"job":"ingest-realtime"');
    expect(logged).not.toContain(DEMO_ACCOUNT_KEY);
    await expect(summary({ fromMs: 'yesterday' as unknown as number })).rejects.toThrow(/event.fromMs/);
    log.mockRestore();
  }, 60_000);
});
