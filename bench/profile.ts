// How much each benchmark does: a full run for figures, a smoke run (CI) that only proves every
// path still works. Both are bounded.
export interface Profile {
  smoke: boolean;
  /** tools/list: the servers take turns in rounds of this length, so a busy moment hits them alike */
  listRoundMs: number;
  listRounds: number;
  /** warm-up time before each load point */
  warmupMs: number;
  /** tools/call samples (each also runs the CLI directly once) */
  toolCalls: number;
  /** item 3: calls in total and distinct users */
  crowdCalls: number;
  crowdUsers: number;
  /** item 4: full authorization flows and refresh grants per store */
  oauthFlows: number;
  refreshes: number;
  cliStartupCalls: number;
  /** calls before measuring (they also prime the compile cache) */
  cliWarmupCalls: number;
  /** item 6: grants created between the two heap readings */
  grants: number;
  /** item 7: clients setting up sessions at once, and how many set-ups each does in a row */
  sessionClients: number;
  sessionRounds: number;
  /** item 10: connections that never read, and how long /healthz is sampled before and during the flood */
  floodConnections: number;
  floodSampleMs: number;
}

export const FULL: Profile = {
  smoke: false,
  listRoundMs: 1000,
  listRounds: 5,
  warmupMs: 1000,
  toolCalls: 40,
  crowdCalls: 100,
  crowdUsers: 20,
  oauthFlows: 100,
  refreshes: 300,
  cliStartupCalls: 15,
  cliWarmupCalls: 2,
  grants: 1000,
  sessionClients: 32,
  sessionRounds: 40,
  floodConnections: 80,
  floodSampleMs: 3000,
};

export const SMOKE: Profile = {
  smoke: true,
  listRoundMs: 150,
  listRounds: 1,
  warmupMs: 0,
  toolCalls: 2,
  crowdCalls: 6,
  crowdUsers: 3,
  oauthFlows: 2,
  refreshes: 3,
  cliStartupCalls: 1,
  cliWarmupCalls: 0,
  grants: 5,
  sessionClients: 4,
  sessionRounds: 1,
  floodConnections: 4,
  floodSampleMs: 200,
};

export interface Section {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

export interface GoalCheck {
  goal: string;
  measured: string;
  met: boolean;
}

export interface BenchmarkOutcome {
  sections: Section[];
  goals: GoalCheck[];
  /** something that should have worked did not (the run exits non-zero) */
  failures?: string[];
}
