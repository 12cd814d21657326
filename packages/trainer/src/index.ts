export * from './autodiff';
