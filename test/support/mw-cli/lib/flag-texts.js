// Help texts of flags and args that many mw commands share (the surface data carries none). A
// command adds or overrides texts for its own flags; these read as mw's do.
export const FLAG_TEXTS = {
  token: {
    description:
      'API token to use for authentication. Overrides environment and config file. NOTE: watch out that tokens passed via this flag might be logged in your shell history.',
  },
  output: { description: 'output in a more machine friendly format' },
  quiet: {
    summary: 'suppress process output and only display a machine-readable summary',
    description: 'This flag controls if you want to see the process output or only a summary.',
  },
  force: { description: 'do not ask for confirmation' },
  'project-id': {
    summary: 'ID or short ID of a project; this flag is optional if a default project is set in the context',
    description: 'May contain a short ID or a full ID of a project.',
  },
  'server-id': { summary: 'ID or short ID of a server; this flag is optional if a default server is set in the context' },
  'org-id': { summary: 'ID or short ID of an organization; this flag is optional if a default organization is set in the context' },
  extended: { description: 'show extended information' },
  'no-header': { description: 'hide table header' },
  'no-truncate': { description: 'do not truncate output (only relevant for txt output)' },
  'no-relative-dates': { description: 'show dates in absolute format, not relative (only relevant for txt output)' },
  'csv-separator': { description: 'separator for CSV output (only relevant for CSV output)' },
  wait: { description: 'wait for the resource to be ready.' },
  'wait-timeout': { description: 'the duration to wait for the resource to be ready (common units like "ms", "s", "m" are accepted).' },
  'update-context': { description: 'update the CLI context to use the newly created resource' },
  expires: { description: 'an interval after which the resource expires (examples: 30m, 30d, 1y).' },
};

export const ARG_TEXTS = {
  'project-id': { description: 'ID or short ID of a project; this argument is optional if a default project is set in the context' },
  'installation-id': {
    description: 'ID or short ID of an app installation; this argument is optional if a default app installation is set in the context',
  },
  'container-id': { description: 'ID or short ID of the container' },
  'conversation-id': { description: 'ID of the conversation; this argument is optional if a default conversation is set in the context' },
  'backup-id': { description: 'ID or short ID of a backup' },
};
