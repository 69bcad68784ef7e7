// Like mw's ListBaseCommand: fetch items, print them as a table or machine format.
import { BaseCommand } from './base-command.js';
import { formatList } from './format.js';

export class ListCommand extends BaseCommand {
  /** [{ header, value(item), extended? }] */
  static columns = [];

  async run() {
    const { flags } = await this.parse();
    const items = await this.getData(flags);
    process.stdout.write(formatList(items, this.ctor.columns, flags));
  }
}
