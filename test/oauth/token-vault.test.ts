// mittwald's tokens at rest: unreadable without the key, bound to their grant, keys rotatable.
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { TokenRecordUnreadableError } from '../../src/oauth/index.ts';
import { createTokenVault } from '../../src/oauth/mittwald/token-vault.ts';
import { MemoryStore } from '../../src/store/index.ts';

const tokens = { accessToken: 'mwsim-at-SECRET-ACCESS', refreshToken: 'mwsim-rt-SECRET-REFRESH', expiresAt: 2_000_000_000 };
const store = new MemoryStore();
afterEach(async () => {
  await store.delete('oauth:mittwald-tokens:grant-a', 'oauth:mittwald-tokens:grant-b');
});

describe('mittwald token vault', () => {
  it('stores no token text, only a versioned ciphertext', async () => {
    const vault = createTokenVault({ store, keys: [randomBytes(32)], ttlSeconds: 60 });
    await vault.write('grant-a', tokens);
    const raw = (await store.get('oauth:mittwald-tokens:grant-a'))!;
    expect(raw.startsWith('v1.')).toBe(true);
    expect(raw).not.toContain('SECRET');
    expect(Buffer.from(raw.split('.')[2], 'base64url').toString('latin1')).not.toContain('SECRET');
    expect(await vault.read('grant-a')).toEqual(tokens);
  });

  it('cannot be read with another key', async () => {
    await createTokenVault({ store, keys: [randomBytes(32)], ttlSeconds: 60 }).write('grant-a', tokens);
    const stranger = createTokenVault({ store, keys: [randomBytes(32)], ttlSeconds: 60 });
    await expect(stranger.read('grant-a')).rejects.toBeInstanceOf(TokenRecordUnreadableError);
  });

  it('refuses a ciphertext moved into another grant slot', async () => {
    const vault = createTokenVault({ store, keys: [randomBytes(32)], ttlSeconds: 60 });
    await vault.write('grant-a', tokens);
    await store.set('oauth:mittwald-tokens:grant-b', (await store.get('oauth:mittwald-tokens:grant-a'))!, 60);
    await expect(vault.read('grant-b')).rejects.toBeInstanceOf(TokenRecordUnreadableError);
    expect(await vault.read('grant-a')).toEqual(tokens);
  });

  it('refuses an altered ciphertext and an unknown format', async () => {
    const vault = createTokenVault({ store, keys: [randomBytes(32)], ttlSeconds: 60 });
    await vault.write('grant-a', tokens);
    const [format, iv, ciphertext, tag] = (await store.get('oauth:mittwald-tokens:grant-a'))!.split('.');
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0] ^= 1;
    await store.set('oauth:mittwald-tokens:grant-a', [format, iv, flipped.toString('base64url'), tag].join('.'), 60);
    await expect(vault.read('grant-a')).rejects.toBeInstanceOf(TokenRecordUnreadableError);
    await store.set('oauth:mittwald-tokens:grant-a', `v0.${iv}.${ciphertext}.${tag}`, 60);
    await expect(vault.read('grant-a')).rejects.toBeInstanceOf(TokenRecordUnreadableError);
  });

  it('reads records of the previous key after a rotation and writes with the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    await createTokenVault({ store, keys: [oldKey], ttlSeconds: 60 }).write('grant-a', tokens);
    const rotated = createTokenVault({ store, keys: [newKey, oldKey], ttlSeconds: 60 });
    expect(await rotated.read('grant-a')).toEqual(tokens);
    await rotated.write('grant-a', tokens);
    expect(await createTokenVault({ store, keys: [newKey], ttlSeconds: 60 }).read('grant-a')).toEqual(tokens);
  });
});
