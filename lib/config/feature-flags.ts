/**
 * CDK feature flags the app relies on, applied by bin/app.ts and by the infra tests alike (so a test
 * synthesizes what `cdk synth` does).
 */
export const FEATURE_FLAGS = {
  // Grant S3 log delivery through a bucket policy, not ACLs (buckets keep BucketOwnerEnforced).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/core:crossStackReferencesDefaultStrong': true,
} as const;
