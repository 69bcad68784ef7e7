// Deterministic seed data: three users, each with their own organisation, server and projects;
// every project has one app installation, MySQL database (+ main user), cronjob, backup and mail address.
import type {
  App,
  AppVersion,
  ConversationCategory,
  AppInstallation,
  Backup,
  Cronjob,
  MailAddress,
  MysqlDatabase,
  MysqlUser,
  Project,
  Server,
  SimulatorState,
} from './state.ts';

export const SEED_TIME = '2025-01-15T10:00:00.000Z';

export interface SeedProject {
  id: string;
  shortId: string;
  description: string;
}

export interface SeedUser {
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  customerId: string;
  customerName: string;
  serverId: string;
  serverShortId: string;
  projects: SeedProject[];
}

/** A fixed-looking UUID per resource kind and number, so ids read well in test failures. */
export function seedUuid(kind: number, n: number): string {
  return `${String(kind).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

const KIND = { user: 1, customer: 2, server: 3, project: 4, app: 5, installation: 6, database: 7, dbUser: 8, cronjob: 9, backup: 10, mail: 11, conversationCategory: 12, appVersion: 13 };

export const SEED_USERS: readonly SeedUser[] = [
  {
    userId: seedUuid(KIND.user, 1),
    email: 'alice@example.test',
    firstName: 'Alice',
    lastName: 'Anders',
    customerId: seedUuid(KIND.customer, 1),
    customerName: 'Alice Anders Webdesign',
    serverId: seedUuid(KIND.server, 1),
    serverShortId: 's-a11ce1',
    projects: [
      { id: seedUuid(KIND.project, 1), shortId: 'p-a1b2c3', description: 'Alice Shop' },
      { id: seedUuid(KIND.project, 2), shortId: 'p-a4b5c6', description: 'Alice Blog' },
    ],
  },
  {
    userId: seedUuid(KIND.user, 2),
    email: 'bob@example.test',
    firstName: 'Bob',
    lastName: 'Berger',
    customerId: seedUuid(KIND.customer, 2),
    customerName: 'Berger Agentur',
    serverId: seedUuid(KIND.server, 2),
    serverShortId: 's-b0b222',
    projects: [{ id: seedUuid(KIND.project, 3), shortId: 'p-b0b001', description: 'Bob Portfolio' }],
  },
  {
    userId: seedUuid(KIND.user, 3),
    email: 'carol@example.test',
    firstName: 'Carol',
    lastName: 'Conrad',
    customerId: seedUuid(KIND.customer, 3),
    customerName: 'Conrad IT',
    serverId: seedUuid(KIND.server, 3),
    serverShortId: 's-c4c333',
    projects: [{ id: seedUuid(KIND.project, 4), shortId: 'p-ca7001', description: 'Carol Intranet' }],
  },
];

export const SEED_APPS: readonly App[] = [
  { id: seedUuid(KIND.app, 1), name: 'WordPress', tags: ['cms'] },
  { id: seedUuid(KIND.app, 2), name: 'TYPO3', tags: ['cms'] },
];

/** the versions every seeded installation (at 6.4.2) can be upgraded to, per app */
export const UPGRADE_VERSIONS = ['6.5.0', '6.6.1'];

export function upgradeCandidates(app: App): AppVersion[] {
  const appNumber = SEED_APPS.indexOf(SEED_APPS.find((seeded) => seeded.id === app.id)!) + 1;
  return UPGRADE_VERSIONS.map((version, i) => ({
    id: seedUuid(KIND.appVersion, appNumber * 100 + i),
    appId: app.id,
    externalVersion: version,
    internalVersion: version,
  }));
}

export const SEED_CONVERSATION_CATEGORIES: readonly ConversationCategory[] = [
  { categoryId: seedUuid(KIND.conversationCategory, 1), name: 'general', referenceType: ['unspecified'] },
  { categoryId: seedUuid(KIND.conversationCategory, 2), name: 'technical', referenceType: ['project', 'server'] },
  { categoryId: seedUuid(KIND.conversationCategory, 3), name: 'billing', referenceType: ['organisation'] },
];

export function createSeedState(): SimulatorState {
  const state: SimulatorState = {
    users: new Map(),
    customers: new Map(),
    customerMembers: new Map(),
    servers: new Map(),
    projects: new Map(),
    apps: new Map(SEED_APPS.map((app) => [app.id, structuredClone(app)])),
    appInstallations: new Map(),
    mysqlDatabases: new Map(),
    mysqlUsers: new Map(),
    cronjobs: new Map(),
    backups: new Map(),
    mailAddresses: new Map(),
    conversationCategories: new Map(SEED_CONVERSATION_CATEGORIES.map((c) => [c.categoryId, structuredClone(c)])),
    conversations: new Map(),
    conversationMessages: new Map(),
    containerServices: new Map(),
  };
  let projectNumber = 0;
  SEED_USERS.forEach((seed, userIndex) => {
    state.users.set(seed.userId, {
      userId: seed.userId,
      email: seed.email,
      person: { firstName: seed.firstName, lastName: seed.lastName },
      registeredAt: SEED_TIME,
      mfa: { active: false, setup: false },
    });
    state.customers.set(seed.customerId, {
      customerId: seed.customerId,
      customerNumber: String(10001 + userIndex),
      name: seed.customerName,
      creationDate: SEED_TIME,
      memberCount: 1,
      projectCount: seed.projects.length,
      executingUserRoles: ['owner'],
      isAllowedToPlaceOrders: true,
    });
    state.customerMembers.set(seed.customerId, [seed.userId]);
    state.servers.set(seed.serverId, seedServer(seed));
    for (const project of seed.projects) {
      projectNumber += 1;
      state.projects.set(project.id, newProject({ ...project, customerId: seed.customerId, server: state.servers.get(seed.serverId)! }));
      seedProjectResources(state, project, projectNumber);
    }
  });
  return state;
}

function seedServer(seed: SeedUser): Server {
  return {
    id: seed.serverId,
    shortId: seed.serverShortId,
    customerId: seed.customerId,
    description: `${seed.firstName}'s server`,
    clusterName: 'sim-cluster',
    groupId: seed.serverId,
    createdAt: SEED_TIME,
    isReady: true,
    readiness: 'ready',
    status: 'ready',
    machineType: { name: 'shared.xlarge', cpu: '4', memory: '8Gi' },
    storage: '100Gi',
  };
}

export function newProject(input: { id: string; shortId: string; description: string; customerId: string; server: Server; createdAt?: string }): Project {
  const createdAt = input.createdAt ?? SEED_TIME;
  return {
    id: input.id,
    shortId: input.shortId,
    description: input.description,
    customerId: input.customerId,
    serverId: input.server.id,
    serverShortId: input.server.shortId,
    serverGroupId: input.server.groupId,
    clusterId: 'sim-cluster',
    createdAt,
    enabled: true,
    isReady: true,
    readiness: 'ready',
    status: 'ready',
    statusSetAt: createdAt,
    directories: { Web: `/html/${input.shortId}` },
    supportedFeatures: ['redis', 'node'],
    backupStorageUsageInBytes: 0,
    backupStorageUsageInBytesSetAt: createdAt,
    webStorageUsageInBytes: 1048576,
    webStorageUsageInBytesSetAt: createdAt,
  };
}

function seedProjectResources(state: SimulatorState, project: SeedProject, n: number): void {
  const app = SEED_APPS[n % SEED_APPS.length];
  const installation: AppInstallation = {
    id: seedUuid(KIND.installation, n),
    shortId: `a-${project.shortId.slice(2)}`,
    appId: app.id,
    appName: app.name,
    appExternalVersion: '6.4.2',
    appVersion: { current: seedUuid(KIND.app, 100 + n), desired: seedUuid(KIND.app, 100 + n) },
    description: `${app.name} of ${project.description}`,
    projectId: project.id,
    projectDescription: project.description,
    installationPath: `/html/${app.name.toLowerCase()}`,
    createdAt: SEED_TIME,
    disabled: false,
    phase: 'ready',
    linkedDatabases: [],
    systemSoftware: [],
    updateAvailable: false,
    updatePolicy: 'none',
    userInputs: [],
  };
  state.appInstallations.set(installation.id, installation);

  const { database, user } = newMysqlDatabase({
    databaseId: seedUuid(KIND.database, n),
    userId: seedUuid(KIND.dbUser, n),
    name: `mysql_${project.shortId.slice(2)}`,
    projectId: project.id,
    description: `${project.description} database`,
    version: '8.0',
  });
  state.mysqlDatabases.set(database.id, database);
  state.mysqlUsers.set(user.id, user);

  const cronjob: Cronjob = {
    id: seedUuid(KIND.cronjob, n),
    shortId: `c-${project.shortId.slice(2)}`,
    projectId: project.id,
    appId: installation.id,
    description: 'Nightly cache warm-up',
    interval: '0 3 * * *',
    active: true,
    destination: { url: `https://${project.shortId}.project.space/warmup` },
    failedExecutionAlertThreshold: 1,
    timeout: 600,
    createdAt: SEED_TIME,
    updatedAt: SEED_TIME,
  };
  state.cronjobs.set(cronjob.id, cronjob);

  const backup: Backup = {
    id: seedUuid(KIND.backup, n),
    projectId: project.id,
    description: 'Daily backup',
    status: 'Completed',
    deletable: true,
    requestedAt: SEED_TIME,
    createdAt: SEED_TIME,
    expiresAt: '2025-02-14T10:00:00.000Z',
  };
  state.backups.set(backup.id, backup);

  const mail = newMailAddress({ id: seedUuid(KIND.mail, n), projectId: project.id, address: `info@${project.shortId}.example.test`, updatedAt: SEED_TIME });
  state.mailAddresses.set(mail.id, mail);
}

export function newMysqlDatabase(input: {
  databaseId: string;
  userId: string;
  name: string;
  projectId: string;
  description: string;
  version: string;
  createdAt?: string;
}): { database: MysqlDatabase; user: MysqlUser } {
  const createdAt = input.createdAt ?? SEED_TIME;
  const user: MysqlUser = {
    id: input.userId,
    databaseId: input.databaseId,
    name: `dbu_${input.name.slice(6)}`,
    description: `main user of ${input.name}`,
    accessLevel: 'full',
    mainUser: true,
    disabled: false,
    externalAccess: false,
    passwordUpdatedAt: createdAt,
    status: 'ready',
    statusSetAt: createdAt,
    createdAt,
    updatedAt: createdAt,
  };
  const database: MysqlDatabase = {
    id: input.databaseId,
    name: input.name,
    projectId: input.projectId,
    description: input.description,
    version: input.version,
    characterSettings: { characterSet: 'utf8mb4', collation: 'utf8mb4_unicode_ci' },
    hostname: `${input.name}.mysql.sim.test`,
    externalHostname: `${input.name}.mysql-external.sim.test`,
    isReady: true,
    isShared: false,
    mainUser: user,
    status: 'ready',
    statusSetAt: createdAt,
    storageUsageInBytes: 0,
    storageUsageInBytesSetAt: createdAt,
    createdAt,
    updatedAt: createdAt,
  };
  return { database, user };
}

export function newMailAddress(input: { id: string; projectId: string; address: string; updatedAt: string; forwardAddresses?: string[]; withMailbox?: boolean }): MailAddress {
  const withMailbox = input.withMailbox ?? true;
  return {
    id: input.id,
    projectId: input.projectId,
    address: input.address,
    forwardAddresses: input.forwardAddresses ?? [],
    isCatchAll: false,
    isArchived: false,
    isBackupInProgress: false,
    receivingDisabled: false,
    archive: { active: false, quota: 0, usedBytes: 0 },
    autoResponder: { active: false },
    updatedAt: input.updatedAt,
    ...(withMailbox && {
      mailbox: {
        name: input.address,
        mailsystemSettings: { rateLimitId: 'default' },
        passwordUpdatedAt: input.updatedAt,
        sendingEnabled: true,
        spamProtection: { active: true, autoDeleteSpam: false, folder: 'spam' as const, relocationMinSpamScore: 5 },
        storageInBytes: { current: { updatedAt: input.updatedAt, value: 0 }, limit: 2147483648 },
      },
    }),
  };
}
