import type { GenerationJobInput, TrainingJobInput } from '../src';

export function sampleGenerationJob(overrides: Partial<GenerationJobInput> = {}): GenerationJobInput {
  return {
    v: 1,
    generationId: 'gen_1',
    styleId: 'style_1',
    userId: 'user_1',
    loraModelKey: 'models/style_1/lora.safetensors',
    promptTags: ['cat', 'watercolor'],
    description: '창가에 앉은 고양이',
    aspectRatio: '1:2',
    width: 512,
    height: 1024,
    seed: 42,
    steps: 25,
    guidance: 7.5,
    attempt: 1,
    signatureKey: 'signatures/artist_1.png',
    artistName: 'Mina',
    styleName: 'soft rain',
    licenseType: 'personal',
    requestedAt: '2026-11-26T10:00:00.000Z',
    ...overrides,
  };
}

export function sampleTrainingJob(overrides: Partial<TrainingJobInput> = {}): TrainingJobInput {
  return {
    v: 1,
    jobId: 'job_1',
    styleId: 'style_1',
    artistId: 'artist_1',
    styleName: 'soft rain',
    styleTags: ['soft rain', 'watercolor'],
    artworks: [{ artworkId: 'art_1', imageKey: 'artworks/style_1/1.png', caption: 'a lake', tags: ['lake'] }],
    attempt: 1,
    requestedAt: '2026-11-26T10:00:00Z',
    ...overrides,
  };
}
