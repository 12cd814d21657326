import type { GenerationJob } from '@stylelicense/contracts';

/**
 * The text the model sees: the style name, then the user's prompt tags, lower-cased, deduplicated,
 * comma-separated — the same shape as the captions the style's LoRA was trained on (style name
 * first), so the style's trigger words come through. The free-text description is for people
 * (any language) and stays out of the prompt.
 */
export function promptFor(job: Pick<GenerationJob, 'styleName' | 'promptTags'>): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const entry of [job.styleName, ...job.promptTags]) {
    const tag = entry
      .replace(/[\s,]+/g, ' ')
      .trim()
      .toLowerCase();
    if (tag && !seen.has(tag)) {
      seen.add(tag);
      parts.push(tag);
    }
  }
  return parts.join(', ');
}

/** `signatures/<artistId>.png` → the artist id, for the image metadata. */
export function artistIdOf(signatureKey: string): string | undefined {
  return /^signatures\/([A-Za-z0-9_-]+)\.png$/.exec(signatureKey)?.[1];
}
