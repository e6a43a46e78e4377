import { z } from 'zod';
import { PASSWORD_CONNECTION } from '../../users/password-user.ts';
import { TICKET_DEFAULT_TTL, TICKET_MAX_TTL, type UserTickets } from '../user-tickets.service.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { lookupEmailField } from './user-schemas.ts';

const userId = z.string().min(1).max(300);
const ticketOptions = {
  result_url: z.string().max(2000).optional()
    .describe("Where the shopper goes once the ticket is used, with success=true and message (and email, with includeEmailInRedirect) added. Only a page on the site of a registered application (the origin of one of its redirect_uris or post_logout_redirect_uris; the client_id's, when given): anything else is a 400."),
  client_id: z.string().min(1).max(200).optional().describe('A registered client: result_url must then be on its site. An unknown one is a 400.'),
  organization_id: z.string().min(1).max(200).optional().describe('Accepted for compatibility; no effect (insole has no organizations).'),
  ttl_sec: z.number().int().min(0).max(TICKET_MAX_TTL).optional()
    .describe(`Seconds the ticket stays valid; 0 or absent: ${TICKET_DEFAULT_TTL} (5 days, as at Auth0); at most ${TICKET_MAX_TTL} (30 days).`),
  includeEmailInRedirect: z.boolean().optional().describe('Add the address to result_url as `email`.'),
};
const identity = (provider: z.ZodType<string>) => z.object({ user_id: userId, provider, connection_id: z.string().min(1).max(200).optional() }).strict()
  .describe("One of the user's identities (provider and user_id): the ticket is refused (400) if the user has none such.");

const passwordChangeBody = z.object({
  user_id: userId.optional().describe('The user; or name it by email and connection_id.'),
  email: lookupEmailField.optional().describe('With connection_id, instead of user_id.'),
  connection_id: z.literal(PASSWORD_CONNECTION, { error: `connection_id must be ${PASSWORD_CONNECTION}: only its users have passwords` }).optional()
    .describe(`insole has no connection ids: the connection name, ${PASSWORD_CONNECTION}.`),
  mark_email_as_verified: z.boolean().optional().describe('Setting the new password also sets email_verified: true (in the same write).'),
  ...ticketOptions,
  identity: identity(z.literal('auth0')).optional(),
}).strict().superRefine((body, ctx) => {
  if (body.user_id !== undefined && (body.email !== undefined || body.connection_id !== undefined)) {
    ctx.addIssue({ code: 'custom', message: 'Send either user_id, or email with connection_id; not both' });
  } else if (body.user_id === undefined && (body.email === undefined || body.connection_id === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'Name the user with user_id, or with email and connection_id' });
  }
});

const emailVerificationBody = z.object({
  user_id: userId.describe('The user whose address the ticket verifies.'),
  ...ticketOptions,
  identity: identity(z.string().min(1).max(100)).optional(),
}).strict();

const ticketResponse = z.object({ ticket: z.string().describe('The URL to send the shopper: single use, until ttl_sec has passed.') }).meta({ id: 'Ticket' });
const created = { description: 'The ticket. Nothing is mailed: the store sends the URL in its own mail.', schema: ticketResponse };

/** Auth0's tickets (https://auth0.com/docs/api/management/v2/tickets): the links of insole's own account mails, for a store's mailer. */
export function ticketRoutes(tickets: UserTickets): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/tickets/password-change', tag: 'Tickets', summary: 'Create a password change ticket', scopes: ['create:user_tickets'],
      description: "A link to insole's page for choosing a new password (the reset mail's page). Using it ends the user's sessions, lifts brute-force blocks and voids the user's other reset links. "
        + `A user without a ${PASSWORD_CONNECTION} identity (social only) is a 400; an unknown user a 404.`,
      body: passwordChangeBody,
      responses: { 201: created, 400: auth0Error, 404: auth0Error },
      audit: { description: 'Create a password change ticket', userId: ({ body }) => body.user_id, userName: ({ body }) => body.email },
      async handle({ body }) {
        return { status: 201, body: { ticket: await tickets.passwordChange(body) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/tickets/email-verification', tag: 'Tickets', summary: 'Create an email verification ticket', scopes: ['create:user_tickets'],
      description: "A link to insole's page that confirms the user's address (the sign-up mail's). A user without an address is a 400; an unknown user a 404.",
      body: emailVerificationBody,
      responses: { 201: created, 400: auth0Error, 404: auth0Error },
      audit: { description: 'Create an email verification ticket', userId: ({ body }) => body.user_id },
      async handle({ body }) {
        return { status: 201, body: { ticket: await tickets.emailVerification(body) } };
      },
    }),
  ];
}
