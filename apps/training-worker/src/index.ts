export { BASE_RESOLUTION, BUCKETS, pickBucket, type Bucket, type BucketName } from './dataset/buckets';
export { buildCaption, styleToken } from './dataset/caption';
export { isTrainableFormat, sniffImageFormat, type SniffedFormat } from './dataset/image-format';
export {
  LowQualityDataError,
  MAX_ARTWORK_BYTES,
  MIN_ARTWORK_SIDE,
  MIN_TRAINING_IMAGES,
  prepareDataset,
  type AcceptedArtwork,
  type ArtworkPreparation,
  type ArtworkRecord,
  type LoadArtworkBytes,
  type PreparedDataset,
  type PrepareDatasetOptions,
  type RejectedArtwork,
  type RejectionReason,
} from './dataset/prepare';
