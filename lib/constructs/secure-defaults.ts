import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Secure defaults in one place (aws-solutions-constructs' idea): every bucket, table and log group
 * of the app starts from these, so a review reads one file.
 */
export function secureBucketProps(overrides: s3.BucketProps = {}): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      { noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(2) },
    ],
    ...overrides,
  };
}

export function secureTableProps(
  overrides: Partial<dynamodb.TablePropsV2> & Pick<dynamodb.TablePropsV2, 'partitionKey'>,
): dynamodb.TablePropsV2 {
  return {
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
    ...overrides,
  };
}

export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;
