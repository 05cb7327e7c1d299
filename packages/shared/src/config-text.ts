/**
 * Parse the text of a YAML or JSON file the product reads (project config, triggers file, billing
 * file, edge.yaml). A syntax error is reported as position + problem only: the YAML parser's own messages
 * quote the offending line (and JSON.parse quotes the text near the error), and that line may hold
 * an inline `{ value: … }` key or bearer token, so neither message is ever passed on.
 * Shared by the pipeline and the edge collector (edge.yaml) as `@ekm-pipeline/shared/config-text`,
 * a subpath of its own so that the reading model does not pull in the YAML parser.
 */
import { type Document, isAlias, LineCounter, parseDocument, visit } from 'yaml';

/** A syntax problem: 1-based line and column, what is wrong, the parser's code. Never source text. */
export interface TextSyntaxProblem {
  readonly line: number;
  readonly column: number;
  readonly problem: string;
  readonly code: string;
}

/** Thrown by {@link parseConfigText}; `message` is `line L, column C: problem` (+ how many more). */
export class ConfigTextSyntaxError extends Error {
  override readonly name = 'ConfigTextSyntaxError';
  readonly problems: readonly TextSyntaxProblem[];
  constructor(problems: readonly TextSyntaxProblem[]) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(first ? `line ${first.line}, column ${first.column}: ${first.problem}${more}` : 'not valid YAML/JSON');
    this.problems = problems;
  }
}

/** What each YAML error code means, in words that quote nothing from the file. */
const PROBLEMS: Readonly<Record<string, string>> = {
  ALIAS_PROPS: 'an alias (*name) cannot carry an anchor or a tag',
  BAD_ALIAS: 'an alias (*name) is not allowed here; quote values that start with *',
  BAD_DIRECTIVE: 'a % directive the parser does not understand',
  BAD_DQ_ESCAPE: 'an invalid escape sequence in a double-quoted string; use single quotes or double the backslash',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'an anchor (&) or tag (!) must come before its value',
  BAD_SCALAR_START: 'a plain value starts with a reserved character (@ or `); quote the value',
  BLOCK_AS_IMPLICIT_KEY: 'a block mapping or sequence cannot be a key',
  BLOCK_IN_FLOW:
    'a nested mapping inside a flow collection ({ } or [ ]); quote values that contain ": " or use block style',
  DUPLICATE_KEY: 'a key appears twice in one mapping; keys must be unique',
  IMPOSSIBLE: 'the parser could not continue here',
  KEY_OVER_1024_CHARS: 'an implicit key longer than 1024 characters',
  MISSING_CHAR: 'a closing quote, bracket or brace is missing',
  MULTILINE_IMPLICIT_KEY: 'a key runs over more than one line (a missing ":" or bad indentation?)',
  MULTIPLE_ANCHORS: 'a value has more than one anchor (&)',
  MULTIPLE_DOCS: 'more than one YAML document (---); the file must hold one',
  MULTIPLE_TAGS: 'a value has more than one tag (!)',
  NON_STRING_KEY: 'a key that is not a string',
  TAB_AS_INDENT: 'a tab used for indentation; indent with spaces',
  TAG_RESOLVE_FAILED: 'a value with an unknown tag (!); quote values that start with !',
  UNEXPECTED_TOKEN: 'unexpected characters (a missing ":", quote or comma, or bad indentation?)',
  BAD_COLLECTION_TYPE: 'a collection of the wrong type for its tag',
};

/**
 * Parse YAML or JSON text (JSON is tried first: the YAML parser is ~100× slower on big files).
 * Throws {@link ConfigTextSyntaxError} with positions and problems, never the file's text.
 */
export function parseConfigText(text: string): unknown {
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Not strict JSON (comments, trailing commas, or broken): YAML decides, and says where.
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, logLevel: 'silent', uniqueKeys: true });
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigTextSyntaxError(
      doc.errors.map((e) => ({
        ...at(e.pos[0]),
        code: e.code,
        problem: PROBLEMS[e.code] ?? `YAML syntax error (${e.code})`,
      })),
    );
  }
  const unresolved = unresolvedAliases(doc);
  if (unresolved.length > 0) {
    throw new ConfigTextSyntaxError(
      unresolved.map((offset) => ({
        ...at(offset),
        code: 'BAD_ALIAS',
        problem: 'a value starting with * is read as an alias to an anchor that does not exist; quote the value',
      })),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    // e.g. an alias bomb: say what, not where the parser stopped inside the text.
    throw new ConfigTextSyntaxError([
      { line: 1, column: 1, code: 'IMPOSSIBLE', problem: 'too many or circular aliases (*name)' },
    ]);
  }
}

function unresolvedAliases(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && !node.resolve(doc)) offsets.push(node.range?.[0] ?? 0);
    },
  });
  return offsets;
}

/**
 * What is wrong with JSON text, from a JSON.parse error, without the text: Node's messages quote
 * the input near the error (`Unexpected token 'x', "{"token": "ab"... is not valid JSON`).
 */
export function jsonSyntaxProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  return position === undefined ? 'not valid JSON' : `not valid JSON (at character ${Number(position) + 1})`;
}
