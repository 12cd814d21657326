import { DomainError } from '@stylelicense/contracts';

export interface PromptRules {
  /** Whole-word (or whole-phrase) matchers, one per refused term. */
  readonly refused: ReadonlyArray<{ term: string; pattern: RegExp }>;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const compiled = new WeakMap<readonly string[], PromptRules>();

/** The rules for the configured terms (PROMPT_REFUSED_TERMS), built once per list. */
export function promptRulesFor(terms: readonly string[]): PromptRules {
  let rules = compiled.get(terms);
  if (!rules) compiled.set(terms, (rules = compilePromptRules(terms)));
  return rules;
}

/**
 * Builds the matchers from the terms. A term matches as a whole word or phrase,
 * case-insensitively, so "gore" refuses "gore" and "Gore scene" but not "gorgeous".
 */
function compilePromptRules(terms: readonly string[]): PromptRules {
  return {
    refused: terms.map((term) => ({
      term,
      pattern: new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(term)}(?![\\p{L}\\p{N}])`, 'iu'),
    })),
  };
}

/** Refuses a generation prompt that names a refused term (PROMPT_REFUSED, naming the term and field). */
export function assertPromptAllowed(
  rules: PromptRules,
  prompt: { promptTags: readonly string[]; description?: string | null },
): void {
  const fields: Array<[field: string, text: string]> = [
    ...prompt.promptTags.map((tag, index) => [`promptTags.${index}`, tag] as [string, string]),
    ['description', prompt.description ?? ''],
  ];
  for (const { term, pattern } of rules.refused) {
    const hit = fields.find(([, text]) => pattern.test(text));
    if (hit)
      throw new DomainError('PROMPT_REFUSED', `The prompt uses a refused term: "${term}".`, {
        field: hit[0],
        term,
      });
  }
}
