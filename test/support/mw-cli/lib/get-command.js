// Like mw's GetBaseCommand / RenderBaseCommand: fetch one object, print it as text or machine format.
import { BaseCommand } from './base-command.js';
import { formatObject } from './format.js';

export class GetCommand extends BaseCommand {
  /** [[label, value(item)]] for the txt view */
  static fields = [];

  async run() {
    const { args, flags } = await this.parse();
    const item = await this.getData(args, flags);
    process.stdout.write(formatObject(item, this.ctor.fields, flags.output));
  }
}
