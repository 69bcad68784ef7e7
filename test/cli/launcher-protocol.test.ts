// What the launcher accepts from the server: only "a child", a request for it (argv and the token,
// nothing else) and a stop signal. A server that was taken over cannot name a program, a uid, an
// environment variable or a signal of its choice.
import { describe, expect, it } from '@jest/globals';
import { parseServerMessage } from '../../src/cli/launcher/launcher-protocol.ts';

describe('messages from the server', () => {
  it('accepts the four well-formed kinds', () => {
    expect(parseServerMessage({ type: 'start', id: 'a-1', preload: 'commands' })).toEqual({ type: 'start', id: 'a-1', preload: 'commands' });
    expect(parseServerMessage({ type: 'request', id: 'a-1', argv: ['project', 'list'], env: { MITTWALD_API_TOKEN: 't' } })).toMatchObject({ type: 'request' });
    expect(parseServerMessage({ type: 'signal', id: 'a-1', signal: 'SIGKILL' })).toMatchObject({ type: 'signal' });
    expect(parseServerMessage({ type: 'check-call-directory', id: 'c-1' })).toMatchObject({ type: 'check-call-directory' });
  });

  it.each([
    ['a program of its choice', { type: 'start', id: 'a', preload: 'config', executable: '/bin/sh' }],
    ['a preload of its choice (a module to import)', { type: 'start', id: 'a', preload: '/tmp/x.mjs' }],
    ['a start without its preload', { type: 'start', id: 'a' }],
    ['an unknown kind', { type: 'spawn', id: 'a', command: '/bin/sh' }],
    ['an environment variable beyond the token', { type: 'request', id: 'a', argv: [], env: { NODE_OPTIONS: '--require /tmp/x.js' } }],
    ['a token with a line break', { type: 'request', id: 'a', argv: [], env: { MITTWALD_API_TOKEN: 'a\nb' } }],
    ['argv that is not a list of strings', { type: 'request', id: 'a', argv: [1], env: {} }],
    ['a NUL in argv', { type: 'request', id: 'a', argv: ['a\0b'], env: {} }],
    ['a signal of its choice', { type: 'signal', id: 'a', signal: 'SIGSTOP' }],
    ['an id with a path in it', { type: 'start', id: '../../x', preload: 'config' }],
    ['no object at all', 'start'],
  ])('refuses %s', (_what, message) => {
    expect(parseServerMessage(message)).toBeUndefined();
  });

  it('refuses a field it does not know, such as a uid', () => {
    expect(parseServerMessage({ type: 'start', id: 'a', preload: 'config', uid: 0 })).toBeUndefined();
  });
});
