import { JobFailure } from '@stylelicense/contracts';
import type { TrainerEngine } from './types';

export const NO_TRAINER_ENGINE_MESSAGE = 'no trainer engine configured on this host';

/** The engine of hosts that cannot train (the embedded default): every job fails at once, clearly. */
export function createNoTrainerEngine(): TrainerEngine {
  const refuse = async (): Promise<never> => {
    throw new JobFailure('NO_TRAINER_ENGINE', NO_TRAINER_ENGINE_MESSAGE);
  };
  return { name: 'none', checkReady: refuse, prepare: refuse, train: refuse };
}
