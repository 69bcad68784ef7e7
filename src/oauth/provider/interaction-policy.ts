// Every authorization request goes through our consent page and a fresh mittwald login, even
// when the browser still has a session and a grant: with one static mittwald client behind us,
// anything silent would be a confused deputy (MCP security best practices).
import { interactionPolicy } from 'oidc-provider';

export function alwaysConfirmPolicy(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const consent = policy.get('consent')!;
  // The stock consent checks compare the request with what was granted before. We grant exactly
  // what mittwald granted in this very interaction (possibly less than asked), so they would ask
  // again forever; the one question is whether this request went through our interaction.
  consent.checks.clear();
  consent.checks.add(
    new interactionPolicy.Check(
      'facade_confirmation_required',
      'every authorization is confirmed by the user and at mittwald',
      'consent_required',
      (ctx) => (ctx.oidc.result?.consent?.grantId ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT),
    ),
  );
  return policy;
}
