import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

// CONTRIBUTING.md §5.1: core is pure (no I/O, no SDK, no process), use-cases see only core and ports,
// and the edge package never pulls in the CDK or the AWS SDK.
describe('architecture', () => {
  it.each(tsFiles(join(ROOT, 'functions', 'core')).map((f) => [relative(ROOT, f), f]))(
    'keeps %s pure',
    (_name, file) => {
      const bad = imports(file).filter((spec) =>
        /^(node:)?(fs|net|http|https|child_process|dgram|worker_threads)(\/|$)|^undici|^@aws-sdk|^aws-cdk-lib|\/(adapters|ports|handlers|cli|local|fake-cloud)\//.test(
          spec,
        ),
      );
      expect(bad).toEqual([]);
      expect(readFileSync(file, 'utf8')).not.toMatch(/\bprocess\.(env|exit|argv|stdout|stderr)/);
    },
  );

  it.each(tsFiles(join(ROOT, 'functions', 'use-cases')).map((f) => [relative(ROOT, f), f]))(
    'keeps adapters out of %s',
    (_name, file) => {
      const bad = imports(file).filter((spec) => /^undici|^@aws-sdk|\/(adapters|handlers|cli)\//.test(spec));
      expect(bad).toEqual([]);
    },
  );

  it('keeps the CDK and the AWS SDK out of the edge collector', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'edge-collector', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const deps = Object.keys(pkg.dependencies ?? {});
    expect(deps.filter((d) => d.startsWith('aws-cdk') || d.startsWith('@aws-sdk'))).toEqual([]);
    const edgeImports = tsFiles(join(ROOT, 'edge-collector', 'src')).flatMap(imports);
    expect(edgeImports.filter((s) => /^aws-cdk|^@aws-sdk/.test(s))).toEqual([]);
  });
});
