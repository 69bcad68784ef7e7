// Small JSON payloads a client carries for us and hands back unchanged (the 2025 session handle, a
// 2026-07-28 confirmation's requestState): `version.payload.mac`, HMAC-SHA256 with a key derived
// per purpose from the configured secrets (which serve other purposes too). The first secret
// signs, all verify (rotation). Signed, not encrypted: never put a secret in one.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function createSignedPayloads(secrets: string[], purpose: string, version: string) {
  const keys = secrets.map((secret) => createHmac('sha256', secret).update(purpose).digest());
  const sign = (key: Buffer, encoded: string) => createHmac('sha256', key).update(encoded).digest('base64url');

  return {
    seal(payload: object): string {
      const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${version}.${encoded}.${sign(keys[0], encoded)}`;
    },
    /** the payload as we signed it; undefined for anything forged, of another version or malformed */
    open(sealed: string): Record<string, unknown> | undefined {
      const [given, encoded, mac] = sealed.split('.');
      if (given !== version || !encoded || !mac) return undefined;
      const presented = Buffer.from(mac, 'base64url');
      const signed = keys.some((key) => {
        const expected = Buffer.from(sign(key, encoded), 'base64url');
        return expected.length === presented.length && timingSafeEqual(expected, presented);
      });
      if (!signed) return undefined;
      try {
        const payload: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
        return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
