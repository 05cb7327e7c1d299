import { fieldSpec, fieldsForProtocol } from '../ekm/field-catalog';

/**
 * Field names a data condition may watch, from the shared EKM field catalog: the numeric fields of
 * each protocol (thresholds are numbers), without read metadata such as `Good` or timestamps.
 */
function triggerFields(protocol: 'v3' | 'v4'): ReadonlySet<string> {
  return new Set(
    fieldsForProtocol(protocol).filter((name) => {
      const spec = fieldSpec(name);
      return spec !== undefined && spec.kind === 'number' && spec.role !== 'meta';
    }),
  );
}

/** Known field names per meter protocol (v5 reads like v4 here). */
export const TRIGGER_FIELDS: Readonly<Record<'v3' | 'v4', ReadonlySet<string>>> = {
  v3: triggerFields('v3'),
  v4: triggerFields('v4'),
};

/** All names any meter may have: used when the meter's protocol is not known yet (no Account API). */
export const ALL_TRIGGER_FIELDS: ReadonlySet<string> = new Set([...TRIGGER_FIELDS.v3, ...TRIGGER_FIELDS.v4]);

/** Up to three known names closest to `name` (case-insensitive prefix/edit distance), for "did you mean". */
export function suggestFields(name: string, known: ReadonlySet<string>): string[] {
  const lower = name.toLowerCase();
  const scored = [...known].map((k) => ({ k, d: distance(lower, k.toLowerCase()) }));
  scored.sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
  return scored
    .filter((s) => s.d <= Math.max(2, Math.floor(name.length / 3)))
    .slice(0, 3)
    .map((s) => s.k);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}
