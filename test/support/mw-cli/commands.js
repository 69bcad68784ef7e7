// Every command of the real mw (data/mw-surface.json), as oclif's explicit command strategy wants
// them (package.json: oclif.commands). Each has the real one's args and flags. Those the API
// simulator serves run the implementation in commands/; every other one parses its input as mw
// would and then fails with a clear error (exit 1, an error box on stdout). The stand-in's own
// fault commands (stand-in hang|flood|crash|allocate) come on top.
import { UnservedCommand } from './lib/base-command.js';
import { fromSurface, surfaceCommands } from './lib/surface.js';
import AppGet from './commands/app/get.js';
import AppList from './commands/app/list.js';
import AppUpgrade from './commands/app/upgrade.js';
import BackupCreate from './commands/backup/create.js';
import BackupGet from './commands/backup/get.js';
import BackupList from './commands/backup/list.js';
import ContainerList from './commands/container/list.js';
import ContainerRun from './commands/container/run.js';
import ContainerUpdate from './commands/container/update.js';
import ConversationCategories from './commands/conversation/categories.js';
import ConversationCreate from './commands/conversation/create.js';
import ConversationList from './commands/conversation/list.js';
import ConversationReply from './commands/conversation/reply.js';
import ConversationShow from './commands/conversation/show.js';
import CronjobList from './commands/cronjob/list.js';
import DdevRenderConfig from './commands/ddev/render-config.js';
import DatabaseMysqlCreate from './commands/database/mysql/create.js';
import DatabaseMysqlDelete from './commands/database/mysql/delete.js';
import DatabaseMysqlList from './commands/database/mysql/list.js';
import MailAddressCreate from './commands/mail/address/create.js';
import MailAddressList from './commands/mail/address/list.js';
import OrgList from './commands/org/list.js';
import ProjectCreate from './commands/project/create.js';
import ProjectDelete from './commands/project/delete.js';
import ProjectGet from './commands/project/get.js';
import ProjectList from './commands/project/list.js';
import UserGet from './commands/user/get.js';
import StandInAllocate from './commands/stand-in/allocate.js';
import StandInCrash from './commands/stand-in/crash.js';
import StandInFlood from './commands/stand-in/flood.js';
import StandInHang from './commands/stand-in/hang.js';

/** the commands with behaviour: what the API simulator serves */
export const IMPLEMENTED = {
  'app:get': AppGet,
  'app:list': AppList,
  'app:upgrade': AppUpgrade,
  'backup:create': BackupCreate,
  'backup:get': BackupGet,
  'backup:list': BackupList,
  'container:list': ContainerList,
  'container:run': ContainerRun,
  'container:update': ContainerUpdate,
  'conversation:categories': ConversationCategories,
  'conversation:create': ConversationCreate,
  'conversation:list': ConversationList,
  'conversation:reply': ConversationReply,
  'conversation:show': ConversationShow,
  'cronjob:list': CronjobList,
  'ddev:render-config': DdevRenderConfig,
  'database:mysql:create': DatabaseMysqlCreate,
  'database:mysql:delete': DatabaseMysqlDelete,
  'database:mysql:list': DatabaseMysqlList,
  'mail:address:create': MailAddressCreate,
  'mail:address:list': MailAddressList,
  'org:list': OrgList,
  'project:create': ProjectCreate,
  'project:delete': ProjectDelete,
  'project:get': ProjectGet,
  'project:list': ProjectList,
  'user:get': UserGet,
};

const FAULTS = {
  'stand-in:allocate': StandInAllocate,
  'stand-in:crash': StandInCrash,
  'stand-in:flood': StandInFlood,
  'stand-in:hang': StandInHang,
};

/** the command class for one surface command: the implementation (or none) with the real args and flags */
function surfaceCommandClass({ id }) {
  const Implementation = IMPLEMENTED[id];
  const { args, baseFlags, flags, aliases, strict } = fromSurface(id, Implementation?.texts);
  const command = class extends (Implementation ?? UnservedCommand) {
    static args = args;
    static baseFlags = baseFlags;
    static flags = flags;
    static aliases = aliases;
    static strict = strict;
  };
  if (!Implementation) command.summary = `mw ${id.replaceAll(':', ' ')} (not served by the stand-in)`;
  return command;
}

export const COMMANDS = {
  ...Object.fromEntries(surfaceCommands.map((command) => [command.id, surfaceCommandClass(command)])),
  ...FAULTS,
};
