// API token secrets: 32 random bytes, shown once; only their sha256 is stored, so a database
// leak does not leak usable tokens.
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'rl_';

export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Parses durations like 30d, 12h, 90m; null for "never". */
export function parseDuration(text: string): number | null {
  if (text === 'never') return null;
  const match = /^(\d{1,6})([dhm])$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 30d, 12h, 90m or never`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  return Number(match[1]) * unit;
}
