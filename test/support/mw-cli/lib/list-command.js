// Like mw's ListBaseCommand: fetch items, print them as a table or machine format.
import { Flags } from '@oclif/core';
import { BaseCommand } from './base-command.js';
import { formatList } from './format.js';

export class ListCommand extends BaseCommand {
  static baseFlags = {
    ...BaseCommand.baseFlags,
    output: Flags.string({
      char: 'o',
      description: 'output in a more machine friendly format',
      options: ['txt', 'json', 'yaml', 'csv', 'tsv'],
      default: 'txt',
      required: true,
    }),
    extended: Flags.boolean({ char: 'x', description: 'show extended information' }),
    'no-header': Flags.boolean({ description: 'hide table header' }),
    'no-truncate': Flags.boolean({ description: 'do not truncate output (only relevant for txt output)' }),
    'no-relative-dates': Flags.boolean({ description: 'show dates in absolute format, not relative (only relevant for txt output)' }),
    'csv-separator': Flags.string({ description: 'separator for CSV output (only relevant for CSV output)', options: [',', ';'], default: ',' }),
  };

  /** [{ header, value(item), extended? }] */
  static columns = [];

  async run() {
    const { flags } = await this.parse();
    const items = await this.getData(flags);
    process.stdout.write(formatList(items, this.ctor.columns, flags));
  }
}
