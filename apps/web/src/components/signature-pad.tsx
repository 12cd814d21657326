import { useRef, type ChangeEvent, type PointerEvent } from 'react';
import { useI18n } from '../i18n';

const WIDTH = 480;
const HEIGHT = 180;

/** The pad's picture as the API takes it: PNG bytes, base64, on a transparent background. */
export async function signaturePng(canvas: HTMLCanvasElement): Promise<string> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('The signature could not be read.');
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * A signature drawn with a mouse, finger or pen (pointer events) on a transparent canvas, or an
 * image file placed on it; `onInk` says whether there is anything on the pad.
 */
export function SignaturePad({
  canvasRef,
  onInk,
}: {
  canvasRef: React.RefObject<HTMLCanvasElement | null>;
  onInk: (inked: boolean) => void;
}) {
  const { t } = useI18n();
  const drawing = useRef(false);
  const context = () => canvasRef.current?.getContext('2d') ?? null;
  const pointAt = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * WIDTH) / rect.width,
      y: ((event.clientY - rect.top) * HEIGHT) / rect.height,
    };
  };
  const down = (event: PointerEvent<HTMLCanvasElement>) => {
    const ctx = context();
    if (!ctx) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drawing.current = true;
    const { x, y } = pointAt(event);
    ctx.lineWidth = 3;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#111827';
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.1, y + 0.1);
    ctx.stroke();
    onInk(true);
  };
  const move = (event: PointerEvent<HTMLCanvasElement>) => {
    const ctx = context();
    if (!drawing.current || !ctx) return;
    const { x, y } = pointAt(event);
    ctx.lineTo(x, y);
    ctx.stroke();
  };
  const up = () => {
    drawing.current = false;
  };
  const clear = () => {
    context()?.clearRect(0, 0, WIDTH, HEIGHT);
    onInk(false);
  };
  const placeFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    const ctx = context();
    event.target.value = '';
    if (!file || !ctx) return;
    const bitmap = await createImageBitmap(file).catch(() => null);
    if (!bitmap) return;
    const scale = Math.min(WIDTH / bitmap.width, HEIGHT / bitmap.height, 1);
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    ctx.drawImage(bitmap, (WIDTH - w) / 2, (HEIGHT - h) / 2, w, h);
    bitmap.close();
    onInk(true);
  };
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium">{t('artist.signature')}</legend>
      <p id="signature-hint" className="text-xs text-gray-700">
        {t('artist.signatureHint')}
      </p>
      <canvas
        ref={canvasRef}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={t('artist.signaturePad')}
        aria-describedby="signature-hint"
        data-testid="signature-pad"
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
        className="w-full max-w-md touch-none rounded-lg border border-dashed border-gray-400 bg-[repeating-conic-gradient(#f3f4f6_0_25%,#fff_0_50%)] bg-[length:16px_16px]"
      />
      <div className="flex flex-wrap items-center gap-3">
        <button type="button" onClick={clear} className="rounded bg-gray-200 px-3 py-1 text-gray-800">
          {t('artist.clear')}
        </button>
        <label className="text-sm">
          <span className="mr-2">{t('artist.signatureFile')}</span>
          <input type="file" accept="image/png" onChange={(event) => void placeFile(event)} />
        </label>
      </div>
    </fieldset>
  );
}
