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
  /**
   * Columns that identify one row. When set, the Glue table over the objects is named
   * `<name>_objects` and `<name>` is an Athena view (a Glue `VIRTUAL_VIEW`) that keeps one row per
   * these columns: a row held by two objects (a re-write beside a compacted day, an edge batch
   * object, until the next compaction) is shown once, from the compacted `day-sNN.parquet` object
   * first, then from the object with the lowest key (as DuckDB's view and compaction choose).
   * @default - no view: `<name>` is the table over the objects
   */
  readonly uniqueBy?: readonly string[];
}

/** Hive column type → the type name a Presto/Trino view definition uses. */
const VIEW_TYPE: Record<string, string> = {
  string: 'varchar',
  double: 'double',
  int: 'integer',
  bigint: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamp(3)',
};

/**
 * The Glue `TableInput` of an Athena view: Athena keeps the view's SQL and columns as base64 JSON
 * in `viewOriginalText` (what `CREATE VIEW` in Athena writes itself).
 */
export function athenaViewInput(opts: {
  readonly name: string;
  readonly description: string;
  readonly databaseName: string;
  readonly sql: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}): glue.CfnTable.TableInputProperty {
  const definition = {
    originalSql: opts.sql,
    catalog: 'awsdatacatalog',
    schema: opts.databaseName,
    columns: opts.columns.map((c) => {
      const type = VIEW_TYPE[c.type];
      if (!type) throw new Error(`view column ${c.name} has type ${JSON.stringify(c.type)}, which a view cannot map`);
      return { name: c.name, type };
    }),
  };
  return {
    name: opts.name,
    description: opts.description,
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    storageDescriptor: {
      columns: opts.columns.map((c) => ({ name: c.name, type: c.type })),
      serdeInfo: {},
    },
    viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(definition)).toString('base64')} */`,
    viewExpandedText: '/* Presto View */',
  };
}

/** The SQL of a view keeping one row per `uniqueBy` (the day object's row first, then by object key). */
export function uniqueRowsSql(
  databaseName: string,
  table: string,
  columns: readonly string[],
  uniqueBy: readonly string[],
) {
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return [
    `SELECT ${columns.map(q).join(', ')}`,
    `FROM (SELECT *, row_number() OVER (PARTITION BY "date", ${uniqueBy.map(q).join(', ')}`,
    `ORDER BY CASE WHEN regexp_like("$path", '/day-s[0-9]{2}[.]parquet$') THEN 0 ELSE 1 END, "$path") AS lake_row_rank`,
    `FROM ${q(databaseName)}.${q(table)})`,
    'WHERE lake_row_rank = 1',
  ].join(' ');
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
      const pascal = `${dataset.name[0]?.toUpperCase()}${dataset.name.slice(1)}`;
      const unique = dataset.uniqueBy !== undefined && dataset.uniqueBy.length > 0;
      const columns = dataset.columns.map((c) => ({
        name: c.name.toLowerCase(),
        type: c.type,
        ...(c.comment ? { comment: c.comment } : {}),
      }));
      for (const u of dataset.uniqueBy ?? [])
        if (!columns.some((c) => c.name === u.toLowerCase()))
          throw new Error(`uniqueBy column ${JSON.stringify(u)} is not a column of dataset ${dataset.name}`);
      // With a view, the view keeps the construct ID (and name) the table had; the objects table is new.
      const tableName = unique ? `${dataset.name}_objects` : dataset.name;
      const table = new glue.CfnTable(this, unique ? `${pascal}ObjectsTable` : `${pascal}Table`, {
        catalogId: account,
        databaseName: this.databaseName,
        tableInput: {
          name: tableName,
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
            columns,
          },
        },
      });
      table.addResourceDependency(database);
      if (unique) {
        const viewColumns = [
          ...columns.map((c) => ({ name: c.name, type: c.type })),
          { name: 'date', type: 'string' },
          { name: 'origin', type: 'string' },
        ];
        const view = new glue.CfnTable(this, `${pascal}Table`, {
          catalogId: account,
          databaseName: this.databaseName,
          tableInput: athenaViewInput({
            name: dataset.name,
            description: `${dataset.description}; one row per ${dataset.uniqueBy!.join(' + ')} (view over ${tableName})`,
            databaseName: this.databaseName,
            sql: uniqueRowsSql(
              this.databaseName,
              tableName,
              viewColumns.map((c) => c.name),
              dataset.uniqueBy!.map((u) => u.toLowerCase()),
            ),
            columns: viewColumns,
          }),
        });
        view.addResourceDependency(table);
      }
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
