// The simulator's data: mittwald-shaped resources plus who may see them.
// Everything is keyed by its UUID; short ids are looked up by scanning (the sets are tiny).
import type { MittwaldAPIV2 } from '@mittwald/api-client';

export type User = MittwaldAPIV2.Components.Schemas.UserUser;
export type Customer = MittwaldAPIV2.Components.Schemas.CustomerCustomer;
export type Server = MittwaldAPIV2.Components.Schemas.ProjectServer;
export type Project = MittwaldAPIV2.Components.Schemas.ProjectProject;
export type App = MittwaldAPIV2.Components.Schemas.AppApp;
export type AppInstallation = MittwaldAPIV2.Components.Schemas.AppAppInstallation;
export type AppVersion = Pick<MittwaldAPIV2.Components.Schemas.AppAppVersion, 'id' | 'appId' | 'externalVersion' | 'internalVersion'>;
export type MysqlDatabase = MittwaldAPIV2.Components.Schemas.DatabaseMySqlDatabase;
export type MysqlUser = MittwaldAPIV2.Components.Schemas.DatabaseMySqlUser;
export type Cronjob = MittwaldAPIV2.Components.Schemas.CronjobCronjob;
export type Backup = MittwaldAPIV2.Components.Schemas.BackupProjectBackup;
export type MailAddress = MittwaldAPIV2.Components.Schemas.MailMailAddress;
export type ConversationCategory = MittwaldAPIV2.Components.Schemas.ConversationCategory;
export type Conversation = MittwaldAPIV2.Components.Schemas.ConversationConversation;
export type ConversationMessage = MittwaldAPIV2.Components.Schemas.ConversationMessage;
export type ContainerService = MittwaldAPIV2.Components.Schemas.ContainerServiceResponse;

export interface SimulatorState {
  users: Map<string, User>;
  customers: Map<string, Customer>;
  /** customerId → ids of users who are members of that organisation */
  customerMembers: Map<string, string[]>;
  servers: Map<string, Server>;
  projects: Map<string, Project>;
  /** the public app catalogue (WordPress, TYPO3, ...), visible to every authenticated user */
  apps: Map<string, App>;
  appInstallations: Map<string, AppInstallation>;
  mysqlDatabases: Map<string, MysqlDatabase>;
  mysqlUsers: Map<string, MysqlUser>;
  cronjobs: Map<string, Cronjob>;
  backups: Map<string, Backup>;
  mailAddresses: Map<string, MailAddress>;
  /** the support categories, the same for everyone */
  conversationCategories: Map<string, ConversationCategory>;
  /** support conversations; each is seen only by the user who opened it (mainUser) */
  conversations: Map<string, Conversation>;
  /** conversationId → its messages, oldest first */
  conversationMessages: Map<string, ConversationMessage[]>;
  /** containers; every project has one default stack whose id is the project id */
  containerServices: Map<string, ContainerService>;
}
