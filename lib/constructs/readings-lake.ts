import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeAccessLogBucket } from './nag-acknowledgements';
import { secureBucketProps } from './secure-defaults';

/** One queryable dataset of the lake: a Glue table over `<prefix>dataset=<name>/date=YYYY-MM-DD/origin=<alias>/`. */
export interface LakeDataset {
  /** Table and `dataset=` partition name, e.g. `realtime`. */
  readonly name: string;
  /** Glue/Athena columns (Hive types: string, double, int, bigint, boolean, timestamp). */
  readonly columns: readonly { readonly name: string; readonly type: string; readonly comment?: string }[];
  readonly description: string;
}

export interface ReadingsLakeProps {
  readonly datasets: readonly LakeDataset[];
  /** First date partition projection considers. @default '2020-01-01' */
  readonly firstDate?: string;
  /** Object key prefix inside the bucket. @default '' */
  readonly prefix?: string;
  /** Every `origin=` partition value (key aliases and edge gateway ids), for partition projection. */
  readonly origins: readonly string[];
}

/**
 * The Parquet lake: a retained, versioned bucket; a Glue database with one table per dataset using
 * partition projection on `date` (no crawlers, no MSCK REPAIR); an Athena workgroup whose results
 * go to their own expiring bucket.
 */
export class ReadingsLake extends Construct {
  readonly bucket: s3.Bucket;
  readonly databaseName: string;
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: ReadingsLakeProps) {
    super(scope, id);
    const prefix = props.prefix ?? '';
    if (prefix !== '' && !prefix.endsWith('/'))
      throw new Error(`prefix must be empty or end with "/", got ${JSON.stringify(prefix)}`);
    const firstDate = props.firstDate ?? '2020-01-01';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(firstDate))
      throw new Error(`firstDate must be YYYY-MM-DD, got ${JSON.stringify(firstDate)}`);

    const accessLogs = new s3.Bucket(
      this,
      'AccessLogs',
      secureBucketProps({ versioned: false, lifecycleRules: [{ expiration: Duration.days(365) }] }),
    );
    acknowledgeAccessLogBucket(accessLogs);
    this.bucket = new s3.Bucket(
      this,
      'Bucket',
      secureBucketProps({ serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: 'lake/' }),
    );
    const results = new s3.Bucket(
      this,
      'QueryResults',
      secureBucketProps({
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: 'query-results/',
        versioned: false,
        removalPolicy: RemovalPolicy.DESTROY,
        autoDeleteObjects: true,
        lifecycleRules: [{ expiration: Duration.days(30) }],
      }),
    );

    const account = Stack.of(this).account;
    this.databaseName = `ekm_pipeline_${Stack.of(this)
      .stackName.toLowerCase()
      .replace(/[^a-z0-9]/g, '_')}`;
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'EKM readings lake (ekm-pipeline)' },
    });

    for (const dataset of props.datasets) {
      if (!/^[a-z][a-z0-9_]*$/.test(dataset.name))
        throw new Error(`dataset name must be lower snake case, got ${JSON.stringify(dataset.name)}`);
      const location = `s3://${this.bucket.bucketName}/${prefix}dataset=${dataset.name}/`;
      const table = new glue.CfnTable(this, `${dataset.name[0]?.toUpperCase()}${dataset.name.slice(1)}Table`, {
        catalogId: account,
        databaseName: this.databaseName,
        tableInput: {
          name: dataset.name,
          description: dataset.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'parquet',
            'projection.enabled': 'true',
            'projection.date.type': 'date',
            'projection.date.format': 'yyyy-MM-dd',
            'projection.date.range': `${firstDate},NOW`,
            'projection.date.interval': '1',
            'projection.date.interval.unit': 'DAYS',
            'projection.origin.type': 'enum',
            'projection.origin.values': props.origins.join(','),
            'storage.location.template': `${location}date=\${date}/origin=\${origin}`,
          },
          partitionKeys: [
            { name: 'date', type: 'string' },
            { name: 'origin', type: 'string' },
          ],
          storageDescriptor: {
            location,
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
            columns: dataset.columns.map((c) => ({
              name: c.name.toLowerCase(),
              type: c.type,
              ...(c.comment ? { comment: c.comment } : {}),
            })),
          },
        },
      });
      table.addResourceDependency(database);
    }

    this.workGroupName = `ekm-pipeline-${Stack.of(this).stackName}`.slice(0, 128);
    new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${results.bucketName}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
