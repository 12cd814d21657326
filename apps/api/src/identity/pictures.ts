import { DomainError } from '@stylelicense/contracts';
import { verifySignatureImage } from '@stylelicense/imaging';
import { storageKeys } from '@stylelicense/storage';
import sharp from 'sharp';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';
import { me } from './users';

/** Where a stored profile picture is served (public, like any avatar URL from a sign-in provider). */
export const AVATAR_ROUTE = '/api/avatars/:userId';
const AVATAR_SIDE = 256;

/**
 * My profile picture from an uploaded PNG, JPEG or WebP: squared, 256 px, stored as WebP (nothing
 * of the original file is kept, metadata included) and linked from my profile as an ordinary URL
 * that changes with each upload, so browsers never show the old one.
 */
export async function setProfilePicture(
  { db, storage, config }: Pick<AppDeps, 'db' | 'storage' | 'config'>,
  viewer: Viewer,
  { image }: { image: Uint8Array },
) {
  let picture: Buffer;
  try {
    const meta = await sharp(image).metadata();
    if (!['png', 'jpeg', 'webp'].includes(meta.format ?? ''))
      throw new Error(`format ${meta.format ?? 'unknown'}`);
    picture = await sharp(image, { limitInputPixels: 8192 * 8192 })
      .rotate()
      .resize(AVATAR_SIDE, AVATAR_SIDE, { fit: 'cover' })
      .webp({ quality: 85 })
      .toBuffer();
  } catch {
    throw new DomainError('INVALID_IMAGE_FORMAT', 'Use a PNG, JPEG or WebP picture.', { field: 'image' });
  }
  await storage.put(storageKeys.avatar(viewer.userId), picture, {
    contentType: 'image/webp',
    contentLength: picture.byteLength,
  });
  const url = new URL(AVATAR_ROUTE.replace(':userId', viewer.userId), config.PUBLIC_URL);
  url.searchParams.set('v', Date.now().toString(36));
  await db.user.update({ where: { id: viewer.userId }, data: { profileImage: url.toString() } });
  return me({ db }, viewer);
}

/** An artist replaces the signature stamped on future images (images already made keep theirs). */
export async function replaceSignature(
  { db, storage }: Pick<AppDeps, 'db' | 'storage'>,
  viewer: Viewer,
  { signaturePng }: { signaturePng: Uint8Array },
): Promise<{ replaced: true }> {
  const artist = await db.artist.findUnique({ where: { userId: viewer.userId }, select: { userId: true } });
  if (!artist) throw new DomainError('FORBIDDEN', 'Only artists have a signature.');
  await verifySignatureImage(signaturePng);
  const key = storageKeys.signature(viewer.userId);
  await storage.put(key, signaturePng, { contentType: 'image/png', contentLength: signaturePng.byteLength });
  await db.artist.update({ where: { userId: viewer.userId }, data: { signatureImage: key } });
  return { replaced: true };
}
