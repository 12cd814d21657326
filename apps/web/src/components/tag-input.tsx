import type { KeyboardEvent } from 'react';
import { useI18n } from '../i18n';

/** Tags typed one at a time (Enter or comma adds one), each shown as a chip that removes itself. */
export function TagInput({
  id,
  label,
  tags,
  onTags,
  draft,
  onDraft,
}: {
  id: string;
  label: string;
  tags: string[];
  onTags: (tags: string[]) => void;
  draft: string;
  onDraft: (draft: string) => void;
}) {
  const { t } = useI18n();
  const addTag = () => {
    const tag = draft.trim().toLowerCase();
    if (tag && !tags.includes(tag)) onTags([...tags, tag]);
    onDraft('');
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      addTag();
    }
  };
  return (
    <div className="space-y-1">
      <label className="block text-sm font-medium" htmlFor={id}>
        {label}
      </label>
      <ul className="flex flex-wrap gap-1">
        {tags.map((tag) => (
          <li key={tag}>
            <button
              type="button"
              aria-label={t('style.removeTag', { tag })}
              onClick={() => onTags(tags.filter((other) => other !== tag))}
              className="rounded-full bg-indigo-100 px-2 py-0.5 text-sm text-indigo-900"
            >
              #{tag} ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={id}
        value={draft}
        placeholder={t('style.tagInput')}
        onChange={(event) => onDraft(event.target.value)}
        onKeyDown={onKey}
        className="w-full rounded border border-gray-300 px-2 py-1"
      />
    </div>
  );
}

/** The tags with a half-typed last one included, as a submit should take them. */
export function withDraft(tags: string[], draft: string): string[] {
  const last = draft.trim().toLowerCase();
  return last && !tags.includes(last) ? [...tags, last] : tags;
}
