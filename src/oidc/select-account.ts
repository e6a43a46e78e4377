import { interactionPolicy } from 'oidc-provider';

const { base, Check, Prompt } = interactionPolicy;

/**
 * oidc-provider's interaction policy with `prompt=select_account` (OpenID Connect Core §3.1.2.1)
 * accepted: it refuses, with invalid_request, any prompt value no prompt of the policy is named after.
 * Auth0 accepts it, and storefronts send it for "use another account". insole has one account per
 * session, so choosing an account is signing in: the sign-in page is shown even to a signed-in
 * shopper, as with `prompt=login`, and a Google sign-in passes it on (`socialPrompt`).
 * The `select_account` prompt itself never asks anything; the login prompt does, until this
 * authorization's interaction has its login result.
 */
export function interactionPolicyWithSelectAccount(): interactionPolicy.DefaultPolicy {
  const policy = base();
  const selectAccount = new Prompt({ name: 'select_account', requestable: true });
  selectAccount.checks.clear();
  policy.add(selectAccount);
  policy.get('login')!.checks.add(new Check(
    'select_account_prompt', 'the End-User is to choose the account', 'login_required',
    (ctx) => ctx.oidc.prompts.has('select_account') && !ctx.oidc.result?.login,
  ), 0);
  return policy;
}

/**
 * What a social provider is asked for an authorization request that said `prompt=select_account`:
 * Google shows its account chooser (its own `prompt=select_account`), as when Auth0 passes it on.
 * Facebook and X have no such parameter.
 */
export function socialPrompt(connection: string, params: Record<string, unknown>): { prompt?: string } {
  const prompts = String(params.prompt ?? '').split(' ');
  return connection === 'google-oauth2' && prompts.includes('select_account') ? { prompt: 'select_account' } : {};
}
