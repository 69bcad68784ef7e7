// mittwald's tokens at rest: one AES-256-GCM record per grant, the grant id bound in as associated
// data (a record copied into another grant's slot does not decrypt). Record format, versioned:
//   v1.<iv>.<ciphertext>.<tag>   (base64url parts)
// The first key encrypts; every configured key is tried to decrypt, so keys can be rotated.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../../store/index.ts';
import { TokenRecordUnreadableError } from '../errors.ts';
import { storeKeys } from '../store-keys.ts';

export interface StoredMittwaldTokens {
  accessToken: string;
  refreshToken?: string;
  /** epoch seconds */
  expiresAt: number;
}

const FORMAT = 'v1';

export interface TokenVault {
  read(grantId: string): Promise<StoredMittwaldTokens | undefined>;
  write(grantId: string, tokens: StoredMittwaldTokens): Promise<void>;
  delete(grantId: string): Promise<void>;
}

export function createTokenVault(options: { store: KeyValueStore; keys: Buffer[]; ttlSeconds: number }): TokenVault {
  const { store, keys, ttlSeconds } = options;
  if (keys.length === 0 || keys.some((key) => key.length !== 32)) throw new Error('token encryption keys must be 32 bytes each');

  return {
    async read(grantId) {
      const sealed = await store.get(storeKeys.mittwaldTokens(grantId));
      if (sealed === undefined) return undefined;
      return JSON.parse(open(sealed, grantId, keys)) as StoredMittwaldTokens;
    },
    async write(grantId, tokens) {
      await store.set(storeKeys.mittwaldTokens(grantId), seal(JSON.stringify(tokens), grantId, keys[0]), ttlSeconds);
    },
    async delete(grantId) {
      await store.delete(storeKeys.mittwaldTokens(grantId));
    },
  };
}

function seal(plaintext: string, grantId: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(grantId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [FORMAT, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

function open(sealed: string, grantId: string, keys: Buffer[]): string {
  const [format, iv, ciphertext, tag] = sealed.split('.');
  if (format !== FORMAT || !iv || !ciphertext || !tag) {
    throw new TokenRecordUnreadableError('stored mittwald token record has an unknown format');
  }
  for (const key of keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(grantId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // authentication failed with this key: try the next (older) one
    }
  }
  throw new TokenRecordUnreadableError('stored mittwald token record cannot be decrypted for this grant');
}
