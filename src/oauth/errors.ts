// Typed failures of the façade. OAuth protocol errors towards clients are oidc-provider's own
// error classes; these are about mittwald and our stored state.

/** mittwald answered with an OAuth error (e.g. invalid_grant, access_denied). */
export class MittwaldRejectedError extends Error {
  override name = 'MittwaldRejectedError';
  readonly error: string;
  constructor(error: string, message: string) {
    super(message);
    this.error = error;
  }
}

/** mittwald could not be reached, timed out or answered 5xx / garbage: try again later. */
export class MittwaldUnavailableError extends Error {
  override name = 'MittwaldUnavailableError';
}

/** A stored mittwald token record that no configured key can decrypt (wrong key, moved or altered). */
export class TokenRecordUnreadableError extends Error {
  override name = 'TokenRecordUnreadableError';
}
