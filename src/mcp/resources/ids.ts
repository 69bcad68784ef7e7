// The ids a template variable or prompt argument may hold: a UUID or the kind's short id. Checked
// before anything runs, so a URI or argument can never smuggle another word into mw's argv.

export type IdKind = 'projectId' | 'appInstallationId';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHORT_ID = /^[a-z]-[a-z0-9]{3,16}$/i;

export const ID_KINDS: Record<IdKind, { shortIdPrefix: string; noun: string }> = {
  projectId: { shortIdPrefix: 'p-', noun: "a project's" },
  appInstallationId: { shortIdPrefix: 'a-', noun: "an app installation's" },
};

export function isIdOf(kind: IdKind, value: string): boolean {
  return UUID.test(value) || (SHORT_ID.test(value) && value.toLowerCase().startsWith(ID_KINDS[kind].shortIdPrefix));
}

export function idRule(kind: IdKind): string {
  return `${kind} must be ${ID_KINDS[kind].noun} UUID or short id (${ID_KINDS[kind].shortIdPrefix}…)`;
}
