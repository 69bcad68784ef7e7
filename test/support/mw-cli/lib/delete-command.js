// Like mw's DeleteBaseCommand: confirm (auto-confirmed without a TTY!), delete, report.
import { BaseCommand } from './base-command.js';
import { makeProcessRenderer } from './process-renderer.js';

export class DeleteCommand extends BaseCommand {
  /** e.g. "project" */
  static resourceName = 'resource';

  async run() {
    const { args, flags } = await this.parse();
    const p = makeProcessRenderer(flags, `Deleting ${this.ctor.resourceName}`);
    const label = await this.describeResource(args, flags);
    if (!flags.force) p.addConfirmation(`confirm deletion of ${this.ctor.resourceName} ${label}`);
    await this.deleteResource(args, flags);
    if (!flags.quiet) process.stdout.write(`The ${this.ctor.resourceName} ${label} was successfully deleted.\n`);
  }
}
