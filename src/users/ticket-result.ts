import type { Ticket } from './email-tickets.ts';

/**
 * Where a used Management API ticket sends the shopper: its result_url (checked when the ticket was
 * issued, and stored with it: nothing in the request can change it) with the query parameters
 * Auth0's classic pages add, `success=true` and a `message`, and the address when the ticket was
 * created with includeEmailInRedirect. Undefined for a ticket without one (the page says it all).
 */
export function ticketResultRedirect(ticket: Ticket, message: string): string | undefined {
  if (!ticket.result_url) return undefined;
  const url = new URL(ticket.result_url);
  if (ticket.email_in_result) url.searchParams.set('email', ticket.email);
  url.searchParams.set('message', message);
  url.searchParams.set('success', 'true');
  return url.href;
}
