/**
 * The caption kohya trains on: style name, then the artwork's tags, then its free-text caption,
 * comma-separated. The style name and tags are lower-cased (tags are lower-case English in the
 * product); duplicates and empty entries are dropped; the caption text keeps its case.
 */
export function buildCaption(styleName: string, tags: readonly string[], caption?: string | null): string {
  const clean = (text: string) => text.replace(/[\s,]+/g, ' ').trim();
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const entry of [styleName, ...tags]) {
    const tag = clean(entry).toLowerCase();
    if (tag && !seen.has(tag)) {
      seen.add(tag);
      parts.push(tag);
    }
  }
  const text = caption ? caption.replace(/\s+/g, ' ').trim() : '';
  if (text) parts.push(text);
  return parts.join(', ');
}

/** The instance token of the kohya image folder (`<repeats>_<token>`): the style name as one safe word. */
export function styleToken(styleName: string): string {
  const token = styleName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return token || 'style';
}
