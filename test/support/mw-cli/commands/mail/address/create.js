import { randomBytes } from 'node:crypto';
import { assertStatus } from '../../../lib/api.js';
import { BaseCommand } from '../../../lib/base-command.js';
import { normalizeProjectId } from '../../../lib/normalize-id.js';
import { makeProcessRenderer } from '../../../lib/process-renderer.js';

const UNITS = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30 };

function parseByteSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const factor = match && UNITS[(match[2] || 'B').toUpperCase()];
  if (!factor) throw new Error(`Invalid size "${text}"; use a number with a unit like 512MiB or 2GiB.`);
  return Math.round(Number(match[1]) * factor);
}

export default class MailAddressCreate extends BaseCommand {
  static summary = 'Create a new mail address';
  static texts = {
    address: { summary: 'mail address' },
    'catch-all': { description: 'make this a catch-all mail address' },
    'enable-spam-protection': { description: 'enable spam protection for this mailbox' },
    quota: { summary: 'mailbox quota' },
    password: { summary: 'mailbox password' },
    'random-password': { summary: 'generate a random password' },
    'forward-to': { summary: 'forward mail to other addresses' },
  };

  async run() {
    const { flags } = await this.parse();
    const p = makeProcessRenderer(flags, 'Creating mail address');
    const projectId = await normalizeProjectId(this.apiClient, flags['project-id']);
    const data = flags['forward-to']
      ? { address: flags.address, forwardAddresses: flags['forward-to'] }
      : {
          address: flags.address,
          isCatchAll: flags['catch-all'],
          mailbox: {
            password: flags.password ?? (flags['random-password'] ? randomBytes(12).toString('base64url') : p.addInput('mailbox password', true)),
            quotaInBytes: parseByteSize(flags.quota),
            enableSpamProtection: flags['enable-spam-protection'] ?? true,
          },
        };
    const { id } = await p.runStep('creating mail address', async () =>
      assertStatus(await this.apiClient.mail.createMailAddress({ projectId, data }), 201),
    );
    p.complete();
    if (flags.quiet) process.stdout.write(`${id}\n`);
  }
}
