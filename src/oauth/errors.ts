// Typed failures of the façade. OAuth protocol errors towards clients are oidc-provider's own
// error classes; these are about mittwald and our stored state.
import { StoreUnavailableError } from '../store/index.ts';

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

/**
 * The store could not be reached, in the shape oidc-provider renders as an OAuth error of its own
 * (`expose`, status, message as the error code): clients get 503 temporarily_unavailable (or a
 * redirect carrying it) instead of a 500 server_error. Still a StoreUnavailableError for our code.
 */
export class AuthorizationStoreUnavailableError extends StoreUnavailableError {
  override name = 'AuthorizationStoreUnavailableError';
  readonly status = 503;
  readonly statusCode = 503;
  readonly expose = true;
  readonly allow_redirect = true;
  readonly error = 'temporarily_unavailable';
  readonly error_description = 'the authorization server cannot reach its store right now; try again shortly';
  constructor(options?: { cause?: unknown }) {
    super('temporarily_unavailable', options);
  }
}
