import { describe, expect, it } from 'vitest';
import { areaOf, assertValidKey, storageKeys, visibilityOf } from '../src';

describe('storage key layout', () => {
  it('builds every key the product writes', () => {
    expect(storageKeys.upload('up_1', 0)).toBe('uploads/up_1/0');
    expect(storageKeys.trainingImage('sty_1', 12)).toBe('training/sty_1/12');
    expect(storageKeys.model('sty_1', 'lora.safetensors')).toBe('models/sty_1/lora.safetensors');
    expect(storageKeys.signature('art_1')).toBe('signatures/art_1.png');
    expect(storageKeys.result('gen_1', 'webp')).toBe('results/gen_1.webp');
    expect(storageKeys.uploadPrefix('up_1')).toBe('uploads/up_1/');
  });

  it('only results are public; anything unknown is private', () => {
    expect(visibilityOf(storageKeys.result('gen_1', 'png'))).toBe('public');
    for (const key of [
      'uploads/u/0',
      'training/s/0',
      'models/s/lora.safetensors',
      'signatures/a.png',
      'elsewhere/x',
    ]) {
      expect(visibilityOf(key)).toBe('private');
    }
    expect(areaOf('models/s/x')).toBe('models');
    expect(areaOf('elsewhere/x')).toBeNull();
  });

  it('refuses ids that would change the layout', () => {
    for (const bad of ['', '..', 'a/b', 'a b', '../x', 'é']) {
      expect(() => storageKeys.upload(bad, 0)).toThrow(
        expect.objectContaining({ code: 'STORAGE_INVALID_KEY' }),
      );
    }
    expect(() => storageKeys.trainingImage('s', -1)).toThrow(
      expect.objectContaining({ code: 'STORAGE_INVALID_KEY' }),
    );
    expect(() => storageKeys.trainingImage('s', 1.5)).toThrow(
      expect.objectContaining({ code: 'STORAGE_INVALID_KEY' }),
    );
    expect(() => storageKeys.result('g', 'svg' as 'png')).toThrow(
      expect.objectContaining({ code: 'STORAGE_INVALID_KEY' }),
    );
    expect(() => assertValidKey('a'.repeat(1025))).toThrow(
      expect.objectContaining({ code: 'STORAGE_INVALID_KEY' }),
    );
  });
});
