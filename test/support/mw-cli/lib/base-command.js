// Like mw's BaseCommand: every authenticated command gets --token and an API client for the resolved token.
import { Command, Errors, Flags } from '@oclif/core';
import { MittwaldAPIV2Client } from '@mittwald/api-client';
import { renderErrorBox } from './error-box.js';
import { resolveApiToken } from './token.js';

export class BaseCommand extends Command {
  static baseFlags = {
    token: Flags.string({
      helpGroup: 'AUTHENTICATION',
      description:
        'API token to use for authentication. Overrides environment and config file. NOTE: watch out that tokens passed via this flag might be logged in your shell history.',
      required: false,
    }),
  };

  async init() {
    await super.init();
    const { flags } = await this.parse();
    const token = await resolveApiToken(flags.token, process.env, this.config.configDir);
    this.apiClient = MittwaldAPIV2Client.newWithToken(token);
    this.apiClient.axios.defaults.headers['User-Agent'] = `mittwald-cli/${this.config.version}`;
    // Allow pointing the CLI at a local API (the same switch upstream mw offers for testing).
    if (process.env.MITTWALD_API_BASE_URL) this.apiClient.axios.defaults.baseURL = process.env.MITTWALD_API_BASE_URL;
  }

  async catch(error) {
    if (error instanceof Errors.ExitError) throw error;
    process.stdout.write(renderErrorBox(error));
    this.exit(1);
  }
}
