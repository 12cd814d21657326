import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemStorage } from '@stylelicense/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DOWNLOAD_URL_REUSE_SECONDS, DOWNLOAD_URL_SECONDS, downloadUrl } from '../src/common/media';

const storage = () =>
  new FilesystemStorage({
    root: mkdtempSync(join(tmpdir(), 'sl-media-')),
    publicBaseUrl: 'http://127.0.0.1:3000/api/storage',
    signingSecret: 'a-signing-secret-of-at-least-32-bytes!!',
  });
const expiresOf = (url: string) => new URL(url).searchParams;

describe('download links', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands out the same signed link for a while, then a freshly signed one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const files = storage();
    const first = (await downloadUrl(files, 'results/a.png'))!;
    vi.setSystemTime(new Date(Date.now() + (DOWNLOAD_URL_REUSE_SECONDS - 1) * 1000));
    expect(await downloadUrl(files, 'results/a.png')).toBe(first);
    expect(await downloadUrl(files, 'results/b.png')).not.toBe(first);
    vi.setSystemTime(new Date(Date.now() + 2000));
    const later = (await downloadUrl(files, 'results/a.png'))!;
    expect(later).not.toBe(first);
    // Every link handed out still has most of its lifetime left.
    expect(DOWNLOAD_URL_SECONDS - DOWNLOAD_URL_REUSE_SECONDS).toBeGreaterThanOrEqual(55 * 60);
    expect(expiresOf(later).toString()).not.toBe(expiresOf(first).toString());
  });

  it('is null without a key', async () => {
    expect(await downloadUrl(storage(), null)).toBeNull();
  });
});
