import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every module `file` loads at runtime (type-only imports are erased by the compiler). */
async function runtimeImports(file: string, seen = new Set<string>()): Promise<Set<string>> {
  const text = await readFile(path.join(src, file), 'utf8');
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;]*?from\s+)?'([^']+)'/gm)) {
    const specifier = match[1]!;
    if (specifier.startsWith('./')) {
      const next = `${specifier.slice(2)}.ts`;
      if (!seen.has(next)) {
        seen.add(next);
        await runtimeImports(next, seen);
      }
    } else {
      seen.add(specifier);
    }
  }
  return seen;
}

describe('@stylelicense/storage/upload', () => {
  it('loads no Node built-ins and no AWS SDK, so web bundles can use it', async () => {
    const modules = [...(await runtimeImports('upload.ts'))];
    expect(modules.filter((m) => !m.endsWith('.ts'))).toEqual([]);
    expect(modules).toContain('upload-client.ts');
  });

  it('exposes the upload helper and the typed error', async () => {
    const entry = await import('../src/upload');
    expect(typeof entry.uploadToPresignedUrl).toBe('function');
    expect(new entry.StorageError('STORAGE_URL_EXPIRED', 'x').retryable).toBe(false);
  });
});
