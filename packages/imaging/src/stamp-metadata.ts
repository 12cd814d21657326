import sharp from 'sharp';
import type { SignedManifest } from './provenance';

/** What every signed result says about itself. */
export interface StampMetadata {
  artist: string;
  style: string;
  generationId: string;
  /** personal | commercial | exclusive */
  license: string;
  artistId?: string;
  styleId?: string;
  seed?: number | string;
}

const FIELDS = ['artist', 'artistId', 'style', 'styleId', 'generationId', 'license', 'seed'] as const;
/** Our own XMP namespace; dc: carries the same facts for generic tools. */
export const XMP_NAMESPACE = 'https://stylelicense.app/ns/xmp/1.0/';

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
// Characters XML 1.0 cannot carry at all.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const escapeXml = (text: string) => text.replace(INVALID_XML, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
const unescapeXml = (text: string) =>
  text.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name]!,
  );

/**
 * XMP packet naming artist, style, generation and licence. XMP rather than
 * EXIF because it is UTF-8 (artist names are often not ASCII; libvips
 * turns EXIF's non-ASCII into '?') and libvips writes it into both formats:
 * a compressed text chunk (zTXt, keyword `XML:com.adobe.xmp`) in PNG and an
 * `XMP ` chunk in WebP. sharp's metadata(), exiftool and Adobe tools read both.
 */
export function buildStampXmp(metadata: StampMetadata, provenance?: SignedManifest): string {
  const attributes = [
    ...FIELDS.filter((name) => metadata[name] !== undefined).map(
      (name) => `\n    sl:${name}="${escapeXml(String(metadata[name]))}"`,
    ),
    ...(provenance
      ? [
          `\n    sl:provenance="${provenance.manifest}"`,
          `\n    sl:provenanceSignature="${provenance.signature}"`,
        ]
      : []),
  ].join('');
  const rights = `“${metadata.style}” by ${metadata.artist}, ${metadata.license} licence, via Style License`;
  return [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:sl="${XMP_NAMESPACE}"`,
    `    xmp:CreatorTool="Style License"${attributes}>`,
    `   <dc:creator><rdf:Seq><rdf:li>${escapeXml(metadata.artist)}</rdf:li></rdf:Seq></dc:creator>`,
    `   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(rights)}</rdf:li></rdf:Alt></dc:rights>`,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

async function readStampAttributes(image: Uint8Array): Promise<Record<string, string> | null> {
  const { xmpAsString } = await sharp(image).metadata();
  if (xmpAsString === undefined || !xmpAsString.includes(XMP_NAMESPACE)) return null;
  const found: Record<string, string> = {};
  for (const match of xmpAsString.matchAll(/\bsl:(\w+)="([^"]*)"/g))
    found[match[1]!] = unescapeXml(match[2]!);
  return found;
}

/** The signed provenance manifest `stampSignature` embedded; null when there is none. */
export async function readSignedManifest(image: Uint8Array): Promise<SignedManifest | null> {
  const found = await readStampAttributes(image);
  if (found?.provenance === undefined || found.provenanceSignature === undefined) return null;
  return { manifest: found.provenance, signature: found.provenanceSignature };
}

/** Reads back what `stampSignature` embedded; null when the image carries no Style License XMP. */
export async function readStampMetadata(image: Uint8Array): Promise<StampMetadata | null> {
  const found = await readStampAttributes(image);
  if (!found) return null;
  const { artist, style, generationId, license } = found;
  if (artist === undefined || style === undefined || generationId === undefined || license === undefined)
    return null;
  return {
    artist,
    style,
    generationId,
    license,
    ...(found.artistId === undefined ? {} : { artistId: found.artistId }),
    ...(found.styleId === undefined ? {} : { styleId: found.styleId }),
    ...(found.seed === undefined ? {} : { seed: found.seed }),
  };
}
