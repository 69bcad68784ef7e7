// Like mw's GetBaseCommand / RenderBaseCommand: fetch one object, print it as text or machine format.
import { Flags } from '@oclif/core';
import { BaseCommand } from './base-command.js';
import { formatObject } from './format.js';

export function outputFlag(options) {
  return Flags.string({ char: 'o', description: 'output in a more machine friendly format', options, default: 'txt', required: true });
}

export class GetCommand extends BaseCommand {
  static baseFlags = { ...BaseCommand.baseFlags, output: outputFlag(['txt', 'json', 'yaml']) };

  /** [[label, value(item)]] for the txt view */
  static fields = [];

  async run() {
    const { args, flags } = await this.parse();
    const item = await this.getData(args, flags);
    process.stdout.write(formatObject(item, this.ctor.fields, flags.output));
  }
}
