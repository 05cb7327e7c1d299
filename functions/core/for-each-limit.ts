/** Kept for existing importers; the helper and its failure semantics live in `./concurrency`. */
export { forEachLimit } from './concurrency';
