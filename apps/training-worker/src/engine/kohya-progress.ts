/**
 * Reads sd-scripts' console output. train_network.py prints
 *   `\nepoch 3/10\n`                                   (accelerator.print, stdout)
 * and drives a tqdm bar created with desc="steps" and postfix avr_loss (stderr), which tqdm
 * redraws in place by writing `\r` + the line:
 *   `steps:  42%|████▏     | 420/1000 [02:06<02:54,  3.33it/s, avr_loss=0.0823]`
 * Rates slower than 1 step/s read `1.50s/it`; an unknown remaining time reads `?`; the bar
 * drawn without unicode uses `#`; tqdm writes small numbers like `1.23e-5`. The validation bars
 * ("validation steps: …") are deliberately not matched.
 */
export interface KohyaProgressReading {
  readonly kind: 'steps' | 'epoch';
  readonly step?: number;
  readonly totalSteps?: number;
  readonly epoch?: number;
  readonly totalEpochs?: number;
  readonly elapsedSeconds?: number;
  readonly etaSeconds?: number | null;
  readonly loss?: number | null;
}

// eslint-disable-next-line no-control-regex -- tqdm and rich may emit ANSI escape sequences
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const STEPS =
  /^steps:\s*(\d+)%\|[^|]*\|\s*(\d+)\/(\d+)\s*\[([^<\]]*)<([^,\]]*)(?:,\s*([^,\]]*))?(?:,\s*(.*))?\]\s*$/;
const EPOCH = /^epoch (\d+)\/(\d+)\s*$/;

/** Parses one line (a segment between `\r`/`\n`) of trainer output; null when it is not progress. */
export function parseKohyaLine(rawLine: string): KohyaProgressReading | null {
  const line = rawLine.replace(ANSI, '').trim();
  const epoch = EPOCH.exec(line);
  if (epoch) return { kind: 'epoch', epoch: Number(epoch[1]), totalEpochs: Number(epoch[2]) };
  const steps = STEPS.exec(line);
  if (!steps) return null;
  const postfix = parsePostfix(steps[7] ?? '');
  const loss = postfix.get('avr_loss') ?? postfix.get('loss');
  return {
    kind: 'steps',
    step: Number(steps[2]),
    totalSteps: Number(steps[3]),
    elapsedSeconds: parseClock(steps[4] ?? '') ?? 0,
    etaSeconds: parseClock(steps[5] ?? ''),
    loss: loss === undefined ? null : parseNumber(loss),
  };
}

function parsePostfix(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) values.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return values;
}

function parseNumber(text: string): number | null {
  if (/^[-+]?nan$/i.test(text)) return NaN;
  if (/^[-+]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  const value = Number(text);
  return text !== '' && Number.isFinite(value) ? value : null;
}

/** tqdm's format_interval: `MM:SS` or `H:MM:SS` (hours unbounded); `?` or anything else → null. */
function parseClock(text: string): number | null {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1] ?? 0) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

/**
 * Splits a text stream into lines on `\n`, `\r\n` and tqdm's bare `\r`. tqdm writes `\r` + line
 * with no terminator, so the latest bar stays pending until the next redraw: `pending` exposes it
 * so a reader can act on it at once.
 */
export class LineSplitter {
  private carry = '';

  get pending(): string {
    return this.carry.endsWith('\r') ? this.carry.slice(0, -1) : this.carry;
  }

  push(chunk: string): string[] {
    let text = this.carry + chunk;
    // A trailing '\r' may be the first half of '\r\n': hold it back until the next chunk.
    const heldCr = text.endsWith('\r');
    if (heldCr) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    this.carry = (lines.pop() ?? '') + (heldCr ? '\r' : '');
    return lines;
  }

  end(): string[] {
    const rest = this.pending;
    this.carry = '';
    return rest ? [rest] : [];
  }
}
