// Like mw's base commands: errors end as an error box on stdout and exit 1; every command that talks
// to the API gets a client for the token resolved as mw resolves it. Args and flags are not defined
// here: commands.js gives every command those of the real mw (data/mw-surface.json).
import { Command, Errors } from '@oclif/core';
import { MittwaldAPIV2Client } from '@mittwald/api-client';
import { renderErrorBox } from './error-box.js';
import { resolveApiToken } from './token.js';

export class StandInCommand extends Command {
  /** per flag or arg name, { summary, description, env, default } for help; see surface.js */
  static texts = {};

  async catch(error) {
    if (error instanceof Errors.ExitError) throw error;
    process.stdout.write(renderErrorBox(error));
    this.exit(1);
  }
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
