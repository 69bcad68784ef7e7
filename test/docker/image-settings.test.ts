// What the image runs must be what `npm start` runs (the tests and the bench start the server with
// npm start's Node flags): one place to change them would be the next engineer's guess otherwise.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionNodeFlags } from '../support/server-process.ts';

const projectRoot = join(import.meta.dirname, '..', '..');

describe('the Docker image', () => {
  it('starts the server with the Node flags of npm start', () => {
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd!)).toEqual(['node', ...productionNodeFlags(), 'src/main.ts']);
  });
});
