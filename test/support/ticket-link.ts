import { readForm, UserAgent } from './user-agent.ts';

/**
 * Opens a ticket's link (a mailed one, or a Management API ticket) and sends the page's form, as
 * the shopper's browser: the final status and page, or the URL it leaves insole for.
 */
export async function useTicketLink(issuer: string, url: string, fields: Record<string, string> = {}) {
  const agent = new UserAgent(issuer);
  const page = await agent.get(url);
  if (page.res.status !== 200) return { status: page.res.status, text: await page.res.text() };
  const html = await page.res.text();
  const { action, csrf } = readForm(html);
  const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
  const done = await agent.postForm(new URL(action, issuer).href, { _csrf: csrf, ticket, ...fields });
  return { status: done.res.status, left: done.left, text: done.left ? '' : await done.res.text() };
}
