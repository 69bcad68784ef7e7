// Like mw's base commands: every command that talks to the API gets a client for the token resolved
// as mw resolves it; errors go on to bin/run.js (mw's error box). Args and flags are not defined
// here: commands.js gives every command those of the real mw (data/mw-surface.json).
import { Command } from '@oclif/core';
import { MittwaldAPIV2Client } from '@mittwald/api-client';
import { resolveApiToken } from './token.js';

export class StandInCommand extends Command {
  /** per flag or arg name, { summary, description, env, default } for help; see surface.js */
  static texts = {};
}

export class BaseCommand extends StandInCommand {
  async init() {
    await super.init();
    const { flags } = await this.parse();
    const token = await resolveApiToken(flags.token, process.env, this.config.configDir);
    this.apiClient = MittwaldAPIV2Client.newWithToken(token);
    this.apiClient.axios.defaults.headers['User-Agent'] = `mittwald-cli/${this.config.version}`;
    // Allow pointing the CLI at a local API (the same switch upstream mw offers for testing).
    if (process.env.MITTWALD_API_BASE_URL) this.apiClient.axios.defaults.baseURL = process.env.MITTWALD_API_BASE_URL;
  }
}

/** A real mw command the API simulator has no endpoints for: it parses its input as mw would, then says so. */
export class UnservedCommand extends StandInCommand {
  async run() {
    await this.parse();
    throw new Error(`The stand-in mw does not implement "mw ${this.id.replaceAll(':', ' ')}": the API simulator does not serve it.`);
  }
}
