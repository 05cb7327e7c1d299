import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

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

/** Where each relative import of a file points, as a path from the repository root (`functions/core/errors`). */
function localTargets(file: string): string[] {
  return imports(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) =>
      relative(ROOT, resolve(dirname(file), spec))
        .split(sep)
        .join('/'),
    );
}

const inFolder = (folder: string) => (target: string) => target === folder || target.startsWith(`${folder}/`);

// CONTRIBUTING.md §5.1: core is pure (no I/O, no SDK, no process) and imports nothing outside core;
// use-cases see only core and ports; adapters never import use-cases or composition; handlers build
// their work through composition and config only; nothing in functions/ (what Lambdas run) imports the
// local tooling (local/) or the CLI (cli/); the edge package never pulls in the CDK or the AWS SDK.
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

  it.each(tsFiles(join(ROOT, 'functions', 'core')).map((f) => [relative(ROOT, f), f]))(
    'keeps %s inside core (it imports nothing outside functions/core)',
    (_name, file) => {
      // The JSON Schemas in schemas/ are data the validators compile, not code.
      const outside = localTargets(file).filter(
        (t) => !inFolder('functions/core')(t) && !/^schemas\/[\w.-]+\.json$/.test(t),
      );
      expect(outside).toEqual([]);
    },
  );

  it.each(tsFiles(join(ROOT, 'functions', 'adapters')).map((f) => [relative(ROOT, f), f]))(
    'keeps use-cases and composition out of the adapter %s',
    (_name, file) => {
      const bad = localTargets(file).filter(
        (t) => inFolder('functions/use-cases')(t) || inFolder('functions/composition')(t),
      );
      expect(bad).toEqual([]);
    },
  );

  it.each(tsFiles(join(ROOT, 'functions', 'handlers')).map((f) => [relative(ROOT, f), f]))(
    'lets the handler %s build its work through composition and config only (no adapters, no use-cases, no SDK)',
    (_name, file) => {
      const bad = [
        ...localTargets(file).filter(
          (t) =>
            inFolder('functions/adapters')(t) || inFolder('functions/use-cases')(t) || inFolder('functions/ports')(t),
        ),
        ...imports(file).filter((spec) => /^undici|^@aws-sdk|^@duckdb/.test(spec)),
      ];
      expect(bad).toEqual([]);
      expect(readFileSync(file, 'utf8')).not.toMatch(/\bnew [A-Z]\w*(Client|Store|State|Resolver)\(/);
    },
  );

  it.each(tsFiles(join(ROOT, 'functions')).map((f) => [relative(ROOT, f), f]))(
    'keeps local tooling and the CLI out of the Lambda code %s (nothing in functions/ imports local/ or cli/)',
    (_name, file) => {
      expect(localTargets(file).filter((t) => inFolder('local')(t) || inFolder('cli')(t))).toEqual([]);
    },
  );

  it('keeps functions/ to what Lambdas run (no local tooling or CLI folders inside it)', () => {
    const folders = readdirSync(join(ROOT, 'functions')).filter((n) =>
      statSync(join(ROOT, 'functions', n)).isDirectory(),
    );
    expect(folders.sort()).toEqual(['adapters', 'composition', 'config', 'core', 'handlers', 'ports', 'use-cases']);
  });

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

// One rule, one place: each of these rules has exactly one implementation; other files import it.
describe('one implementation per rule', () => {
  const sources = ['functions', 'cli', 'local', 'lib'].flatMap((d) => tsFiles(join(ROOT, d)));
  const definers = (pattern: RegExp) =>
    sources.filter((f) => pattern.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f).split(sep).join('/'));

  it('has one bounded-concurrency helper (functions/core/concurrency.ts)', () => {
    expect(definers(/\b(function|const)\s+(forEachLimit|mapLimit|runLimited|pLimit)\b/)).toEqual([
      'functions/core/concurrency.ts',
    ]);
  });

  it('builds lease names in one module (functions/core/leases.ts)', () => {
    const builders = definers(
      /`(ingest-realtime|ingest-summary|bill-close)#\$\{|`edge-ingest-\$\{|'(ingest-realtime|ingest-summary|bill-close)#'/,
    );
    expect(builders).toEqual(['functions/core/leases.ts']);
  });

  it('narrows caught values with asError, never an `as Error` cast', () => {
    expect(definers(/\(\w+ as Error\)/)).toEqual([]);
    const edge = [...tsFiles(join(ROOT, 'edge-collector', 'src')), ...tsFiles(join(ROOT, 'packages', 'shared', 'src'))];
    expect(edge.filter((f) => /\(\w+ as Error\)/.test(readFileSync(f, 'utf8')))).toEqual([]);
    expect(definers(/function asError\b/)).toEqual([]);
  });

  it('logs best-effort failures (logBestEffortFailure) instead of swallowing them', () => {
    expect(definers(/\.catch\(\(\) => (undefined|null|\{\s*\})\)/)).toEqual([]);
  });

  it('redacts caught errors without mutating them (redactError), never by Object.assign on the caught error', () => {
    expect(definers(/Object\.assign\(\s*(error|err|e|cause)\b/)).toEqual([]);
  });

  it('picks configured keys by alias in one module (functions/config/key-alias.ts)', () => {
    const pickers = definers(
      /keys\.(find|findIndex|some|filter)\(\(\w+\) => \w+\.alias ===|function (\w*[aA]lias(es)?Of|pickKeyAlias)\b/,
    );
    expect(pickers).toEqual(['functions/config/key-alias.ts', 'functions/config/project-config.ts']);
  });

  it('reads EKM decimal text with one grammar (functions/core/ekm/decimal.ts)', () => {
    // local/ekm-cloud imitates what EKM's own server accepts, which is not the pipeline's grammar.
    const grammars = definers(/\\d\+\\\.\?\\d\*|POW10 = \[|function (isPlainDecimal|plainDecimal)\(\w+: string/);
    expect(grammars.filter((f) => !f.startsWith('local/ekm-cloud/'))).toEqual(['functions/core/ekm/decimal.ts']);
  });

  it('compiles no source text at run time (no `new Function`, no `eval`): the code that runs is the code in the tree', () => {
    const compiling = /\bnew Function\(|\beval\(/;
    const packages = readdirSync(join(ROOT, 'packages')).flatMap((p) =>
      readdirSync(join(ROOT, 'packages', p)).includes('src') ? tsFiles(join(ROOT, 'packages', p, 'src')) : [],
    );
    expect(packages.length).toBeGreaterThan(0);
    expect(definers(compiling)).toEqual([]);
    expect(packages.filter((f) => compiling.test(readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('builds every alarm through the house NotifyingAlarm construct', () => {
    expect(definers(/new cloudwatch\.Alarm\(/)).toEqual([]);
  });

  it('names EMF metrics once (functions/core/metric-names.ts), for the emitters and the stacks', () => {
    // (`new ScheduledFunction(this, 'TriggerDrift', …)` is a construct ID, not the metric.)
    expect(definers(/(?<!\(this, )'(TriggerDrift(Total)?|BillingEstimatedShare(Max)?|EkmPipeline)'/)).toEqual([
      'functions/core/metric-names.ts',
    ]);
  });
});

// What the pipeline and the edge collector share lives once, in packages/shared (@ekm-pipeline/shared).
describe('the shared workspace package', () => {
  const shared = tsFiles(join(ROOT, 'packages', 'shared', 'src'));
  const edge = tsFiles(join(ROOT, 'edge-collector', 'src'));
  const root = ['functions', 'cli', 'local', 'lib'].flatMap((d) => tsFiles(join(ROOT, d)));
  const rel = (f: string) => relative(ROOT, f).split(sep).join('/');

  // Its own modules, and only the packages its package.json names (the YAML parser of config-text.ts).
  const sharedDeps = Object.keys(
    (
      JSON.parse(readFileSync(join(ROOT, 'packages', 'shared', 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      }
    ).dependencies ?? {},
  );
  it.each(shared.map((f) => [rel(f), f]))(
    'keeps %s pure and self-contained (its own modules and declared packages)',
    (_n, file) => {
      expect(imports(file).filter((spec) => !spec.startsWith('./') && !sharedDeps.includes(spec))).toEqual([]);
      expect(readFileSync(file, 'utf8')).not.toMatch(/\bprocess\./);
    },
  );

  it('is imported by both the root project and the edge collector', () => {
    const users = (files: string[]) => files.filter((f) => imports(f).includes('@ekm-pipeline/shared'));
    expect(users(root).length).toBeGreaterThan(0);
    expect(users(edge).length).toBeGreaterThan(0);
  });

  it('defines the reading model, the secret-reference shape and the address rules nowhere else', () => {
    const copies = [...root, ...edge].filter((f) =>
      /type (SecretRef|MeterProtocol|FieldValue|MeterFamily) =|interface (Edge)?Reading\b|=== 'v5'|\['v3', 'v4', 'v5'\]\)|300_000_000|\\d\{1,12\}\$\/\.test|\.padStart\(12, '0'\)/.test(
        readFileSync(f, 'utf8'),
      ),
    );
    // The local EKM cloud pads API serials the way EKM does; the edge spool pads sequence numbers.
    expect(
      copies.map(rel).filter((f) => !/^local\/ekm-cloud\/|^edge-collector\/src\/uplink\/spool\.ts$/.test(f)),
    ).toEqual([]);
  });
});
