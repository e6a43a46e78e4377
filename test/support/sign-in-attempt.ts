import type { TestInsole } from './insole.ts';
import { buildAuthorization, discoverStorefront } from './relying-party.ts';
import { interactionUidOf, readForm, UserAgent } from './user-agent.ts';

/** One sign-in attempt on the hosted page of `insole`, as a browser at `ip` (behind the trusted proxy). */
export async function attempt(insole: Pick<TestInsole, 'issuer'>, email: string, password: string, ip: string, screen: 'login' | 'signup' = 'login') {
  const agent = new UserAgent(insole.issuer, { 'x-forwarded-for': ip });
  const config = await discoverStorefront(insole.issuer);
  let html = await (await agent.get((await buildAuthorization(config)).url)).res.text();
  if (screen === 'signup') html = await (await agent.get(`${insole.issuer}/interaction/${interactionUidOf(html)}/signup`)).res.text();
  const form = readForm(html);
  const res = await agent.postForm(new URL(form.action, insole.issuer).href, { email, password, _csrf: form.csrf });
  return { status: res.res.status, left: res.left, retryAfter: res.res.headers.get('retry-after'), text: res.left ? '' : await res.res.text() };
}
