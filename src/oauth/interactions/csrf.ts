// The consent form's CSRF token: an HMAC of the interaction id under the cookie keys. Only a page
// rendered for the browser holding that interaction's cookie ever shows it, so a cross-site form
// cannot know it; stateless, so any instance sharing the cookie keys can check it.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ConsentCsrf {
  tokenFor(uid: string): string;
  isValid(uid: string, token: unknown): boolean;
}

export function createConsentCsrf(cookieKeys: string[]): ConsentCsrf {
  const sign = (key: string, uid: string) => createHmac('sha256', key).update(`consent-csrf:${uid}`).digest('base64url');
  return {
    tokenFor: (uid) => sign(cookieKeys[0], uid),
    isValid(uid, token) {
      if (typeof token !== 'string') return false;
      const presented = Buffer.from(token);
      return cookieKeys.some((key) => {
        const expected = Buffer.from(sign(key, uid));
        return expected.length === presented.length && timingSafeEqual(expected, presented);
      });
    },
  };
}
