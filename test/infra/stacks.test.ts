import { App } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../functions/config/env-names';
import { INTERVAL_COLUMNS } from '../../functions/core/parquet/lake-schema';
import { FEATURE_FLAGS } from '../../lib/config/feature-flags';
import { lakeDatasets } from '../../lib/config/lake-datasets';
import { parseStageConfig, type StageConfig } from '../../lib/config/stage-config';
import { DataStack } from '../../lib/stacks/data-stack';
import { DRIFT_METRIC, EtlStack } from '../../lib/stacks/etl-stack';

const STAGE = parseStageConfig({
  stageName: 'test',
  keys: [
    {
      alias: 'building-7',
      secret: { secretsManager: 'ekm/building-7/key' },
      token: { secretsManager: 'ekm/building-7/token' },
    },
  ],
  triggersFileKey: 'config/triggers.yaml',
  edgeGateways: [{ id: 'site-1', token: { secretsManager: 'ekm/edge/site-1' }, meters: ['000350000900'] }],
  alarmEmail: 'ops@example.com',
});

function synth(stage: StageConfig = STAGE) {
  // Skip esbuild bundling in assertion tests (one separate test bundles for real).
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
  const env = { account: '123456789012', region: 'eu-west-1' };
  const data = new DataStack(app, 'Data', { env, stage, datasets: lakeDatasets() });
  const etl = new EtlStack(app, 'Etl', {
    env,
    stage,
    lakeBucket: data.lake.bucket,
    stateTable: data.stateTable,
    alarmTopic: data.alarmTopic,
  });
  return { data: Template.fromStack(data), etl: Template.fromStack(etl) };
}

describe('DataStack', () => {
  const { data } = synth();

  it('keeps the lake bucket private, encrypted, versioned and retained', () => {
    data.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    });
  });

  it('creates one pk/sk state table with point-in-time recovery and TTL', () => {
    data.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('projects the date partition of every dataset so Athena needs no crawler', () => {
    const names = lakeDatasets().map((d) => (d.uniqueBy ? `${d.name}_objects` : d.name));
    const views = lakeDatasets().filter((d) => d.uniqueBy).length;
    data.resourceCountIs('AWS::Glue::Table', names.length + views);
    for (const name of names) {
      data.hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: name,
          PartitionKeys: [
            { Name: 'date', Type: 'string' },
            { Name: 'origin', Type: 'string' },
          ],
          Parameters: Match.objectLike({
            'projection.enabled': 'true',
            'projection.date.type': 'date',
            'projection.origin.values': 'building-7,site-1',
          }),
        }),
      });
    }
  });

  it('declares the lake columns with the Parquet writer types', () => {
    data.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'realtime_objects',
        StorageDescriptor: Match.objectLike({
          Columns: Match.arrayWith([
            { Name: 'meter', Type: 'string' },
            { Name: 'time', Type: 'timestamp' },
            { Name: 'good', Type: 'boolean' },
            { Name: 'kwh_tot', Type: 'double' },
            { Name: 'state_watts_dir', Type: 'int' },
          ]),
        }),
      }),
    });
  });

  it('declares the derived intervals table from the same schema module', () => {
    data.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'intervals',
        StorageDescriptor: Match.objectLike({
          Columns: INTERVAL_COLUMNS.map((c) => ({
            Name: c.name.toLowerCase(),
            Type: c.type === 'bool' ? 'boolean' : c.type,
          })),
          Location: Match.anyValue(),
        }),
      }),
    });
  });

  it('queries realtime through an Athena view that keeps one row per meter, time and source', () => {
    // Prepare
    const text = new Capture();
    // Assess: `realtime` (same construct ID as before) is a Glue VIRTUAL_VIEW over `realtime_objects`.
    const views = data.findResources('AWS::Glue::Table', {
      Properties: { TableInput: Match.objectLike({ TableType: 'VIRTUAL_VIEW' }) },
    });
    expect(Object.keys(views)).toEqual([expect.stringMatching(/^LakeRealtimeTable/)]);
    data.hasResource('AWS::Glue::Table', {
      DependsOn: [Match.stringLikeRegexp('^LakeRealtimeObjectsTable')],
      Properties: {
        CatalogId: '123456789012',
        DatabaseName: 'ekm_pipeline_data',
        TableInput: Match.objectLike({
          Name: 'realtime',
          TableType: 'VIRTUAL_VIEW',
          Parameters: { presto_view: 'true', comment: 'Presto View' },
          ViewExpandedText: '/* Presto View */',
          ViewOriginalText: text,
          StorageDescriptor: Match.objectLike({
            Columns: Match.arrayWith([
              { Name: 'meter', Type: 'string' },
              { Name: 'time', Type: 'timestamp' },
              { Name: 'date', Type: 'string' },
              { Name: 'origin', Type: 'string' },
            ]),
          }),
        }),
      },
    });
    const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(text.asString())?.[1];
    const definition = JSON.parse(Buffer.from(encoded ?? '', 'base64').toString('utf8'));
    expect(definition).toMatchObject({ catalog: 'awsdatacatalog', schema: 'ekm_pipeline_data' });
    expect(definition.columns).toEqual(
      expect.arrayContaining([
        { name: 'meter', type: 'varchar' },
        { name: 'time', type: 'timestamp(3)' },
        { name: 'good', type: 'boolean' },
        { name: 'state_watts_dir', type: 'integer' },
        { name: 'date', type: 'varchar' },
      ]),
    );
    expect(definition.originalSql).toContain(
      'row_number() OVER (PARTITION BY "date", "meter", "time", "source" ORDER BY CASE WHEN regexp_like("$path", \'/day-s[0-9]{2}[.]parquet$\') THEN 0 ELSE 1 END, "$path")',
    );
    expect(definition.originalSql).toContain('FROM "ekm_pipeline_data"."realtime_objects") WHERE lake_row_rank = 1');
  });

  it('subscribes the alarm email', () => {
    data.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('EtlStack', () => {
  const { etl } = synth();

  it('runs every function on Node 22 arm64 with X-Ray', () => {
    const fns = etl.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
    // realtime enqueue + worker, summary, compaction, drift, edge ingest (+ no others)
    expect(Object.keys(fns)).toHaveLength(6);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('schedules realtime ingest every 10 minutes through EventBridge Scheduler with a dead-letter queue', () => {
    etl.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      Target: Match.objectLike({
        DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
      }),
    });
    etl.resourceCountIs('AWS::Scheduler::Schedule', 4);
  });

  it('passes keys by alias and Secrets Manager name, never a secret value', () => {
    const env = new Capture();
    etl.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.EKM_KEYS_JSON]: env }) },
    });
    expect(JSON.parse(env.asString())).toEqual([
      {
        alias: 'building-7',
        secret: { secretsManager: 'ekm/building-7/key' },
        token: { secretsManager: 'ekm/building-7/token' },
      },
    ]);
  });

  it('grants secret reads only through IAM policies scoped to the named secrets', () => {
    const policies = JSON.stringify(etl.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('secret:ekm/building-7/key-??????');
    expect(policies).not.toMatch(/"Resource":"\*"[^}]*secretsmanager:GetSecretValue/);
  });

  it('alarms on trigger drift', () => {
    etl.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: DRIFT_METRIC.namespace,
      MetricName: DRIFT_METRIC.metricName,
      Threshold: 1,
    });
  });

  it('exposes edge ingest as POST /v1/edge/batches', () => {
    etl.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/edge/batches' });
  });

  it('deploys neither drift nor edge ingest when the stage does not ask for them', () => {
    const { etl: bare } = synth(parseStageConfig({ keys: [{ alias: 'a', secret: { secretsManager: 's' } }] }));
    bare.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    expect(
      Object.keys(bare.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } })),
    ).toHaveLength(4);
  });
});

describe('EtlStack realtime fan-out (schedule → queue → worker per key)', () => {
  const { etl } = synth();
  const logicalId = (type: string, pattern: RegExp) => {
    const ids = Object.keys(etl.findResources(type)).filter((id) => pattern.test(id));
    expect(ids).toHaveLength(1);
    return ids[0] as string;
  };
  const queueId = logicalId('AWS::SQS::Queue', /^IngestRealtimeQueue/);
  const dlqId = logicalId('AWS::SQS::Queue', /^IngestRealtimeDeadLetters/);
  const workerId = logicalId('AWS::Lambda::Function', /^IngestRealtimeWorker/);
  const enqueueId = logicalId('AWS::Lambda::Function', /^IngestRealtimeEnqueueFunction/);

  it('queues one message per key with encryption, a visibility timeout of six worker timeouts and a dead-letter queue after 3 receives', () => {
    const queue = etl.findResources('AWS::SQS::Queue')[queueId]?.Properties;
    expect(queue).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * 600,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
    });
    expect(etl.findResources('AWS::SQS::Queue')[dlqId]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    for (const id of [queueId, dlqId])
      etl.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
  });

  it('feeds the worker one message at a time with partial batch responses and bounded concurrency, sized from the benchmark', () => {
    etl.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: workerId },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    etl.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    expect(etl.findResources('AWS::Lambda::Function')[workerId]?.Properties).toMatchObject({
      Timeout: 600,
      MemorySize: 1024,
    });
  });

  it('alarms the alarm topic as soon as one message is dead-lettered', () => {
    etl.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [Match.anyValue()],
    });
  });

  it('schedules the enqueue Lambda (not the worker) every 10 minutes, passing it the queue URL and aliases', () => {
    etl.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [enqueueId, 'Arn'] } }),
    });
    expect(etl.findResources('AWS::Lambda::Function')[enqueueId]?.Properties.Environment.Variables).toMatchObject({
      [ENV.INGEST_QUEUE_URL]: { Ref: queueId },
      [ENV.EKM_KEYS_JSON]: expect.any(String),
    });
    const targets = JSON.stringify(etl.findResources('AWS::Scheduler::Schedule'));
    expect(targets).not.toContain(workerId);
  });

  const policiesOf = (fnId: string) => {
    const role = etl.findResources('AWS::Lambda::Function')[fnId]?.Properties?.Role?.['Fn::GetAtt']?.[0];
    expect(role).toEqual(expect.any(String));
    return Object.values(etl.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role),
    );
  };

  it('lets the enqueue Lambda only send to the queue (and to its own failed-run queue): no secrets, no lake', () => {
    const policies = policiesOf(enqueueId);
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const sends = statements.filter((s) => JSON.stringify(s.Action).includes('sqs:'));
    const ownDlq = logicalId('AWS::SQS::Queue', /^IngestRealtimeEnqueueDeadLetters/);
    expect(sends).toEqual(
      [ownDlq, queueId].map((id) =>
        expect.objectContaining({
          Effect: 'Allow',
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Resource: { 'Fn::GetAtt': [id, 'Arn'] },
        }),
      ),
    );
    // The rest is X-Ray tracing only.
    const others = statements.filter((s) => !sends.includes(s)).flatMap((s) => [s.Action].flat());
    expect(others.every((a) => String(a).startsWith('xray:'))).toBe(true);
    expect(JSON.stringify(policies)).not.toMatch(/secretsmanager|s3:|dynamodb:/);
  });

  it('passes a key split into parts (realtimeShards) to the enqueue Lambda, which sends one message per part', () => {
    const { etl: split } = synth(
      parseStageConfig({ keys: [{ alias: 'large', secret: { secretsManager: 's' }, realtimeShards: 4 }] }),
    );
    const env = new Capture();
    split.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.INGEST_QUEUE_URL]: Match.anyValue(), [ENV.EKM_KEYS_JSON]: env }),
      },
    });
    expect(JSON.parse(env.asString())).toEqual([
      { alias: 'large', secret: { secretsManager: 's' }, realtimeShards: 4 },
    ]);
  });

  it('grants the worker the lake, the state table and the key secrets, as the realtime ingest needs', () => {
    const text = JSON.stringify(policiesOf(workerId));
    expect(text).toContain('secret:ekm/building-7/key-??????');
    expect(text).not.toContain('ekm/building-7/token');
    expect(text).toContain('s3:PutObject');
    expect(text).toContain('dynamodb:PutItem');
    expect(text).toContain('sqs:ReceiveMessage');
  });
});

describe('stage config', () => {
  it.each([
    [{ stageName: 'Prod!' }, /stageName must match/],
    [{ keys: [{ alias: 'Bad Alias', secret: { secretsManager: 's' } }] }, /keys\[0\]\.alias must match/],
    [{ keys: [{ alias: 'a' }] }, /keys\[0\]\.secret is missing; write secret: \{ secretsManager: "\.\.\." \}/],
    [
      { keys: [{ alias: 'a', secretName: 's' }] },
      'keys[0].secretName is the old spelling; write secret: { secretsManager: "..." }',
    ],
    [
      { keys: [{ alias: 'a', secret: { secretsManager: 's' }, tokenSecretName: 't' }] },
      'keys[0].tokenSecretName is the old spelling; write token: { secretsManager: "..." }',
    ],
    [
      { keys: [{ alias: 'a', secret: { env: 'EKM_KEY' } }] },
      /keys\[0\]\.secret: must be exactly one of \{secretsManager: ARN\} \(got keys: env\); in AWS a secret is read from Secrets Manager/,
    ],
    [
      { keys: [{ alias: 'a', secret: { secretsManager: '' } }] },
      /keys\[0\]\.secret: secretsManager must be a non-empty string/,
    ],
    [
      { edgeGateways: [{ id: 'g', tokenSecretName: 't', meters: ['000350000900'] }] },
      'edgeGateways[0].tokenSecretName is the old spelling; write token: { secretsManager: "..." }',
    ],
    [
      { edgeGateways: [{ id: 'g', token: { value: 'x' }, meters: ['000350000900'] }] },
      /edgeGateways\[0\]\.token: must be exactly one of \{secretsManager: ARN\} \(got keys: value\)/,
    ],
    [{ realtimeEveryMinutes: 0 }, /realtimeEveryMinutes must be a whole number of minutes from 1 to 600, got 0/],
    [
      { edgeGateways: [{ id: 'g', token: { secretsManager: 't' }, meters: ['350000900'] }] },
      /edgeGateways\[0\]\.meters must be 12-digit/,
    ],
  ])('fails when the stage config is %p', (raw, message) => {
    expect(() => parseStageConfig(raw)).toThrow(message);
  });
});

describe('templates', () => {
  it('match the reviewed snapshot (asset hashes scrubbed)', () => {
    const { data, etl } = synth();
    const scrub = (t: Template) =>
      JSON.parse(JSON.stringify(t.toJSON()).replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>'));
    expect({ data: scrub(data), etl: scrub(etl) }).toMatchSnapshot();
  });
});
