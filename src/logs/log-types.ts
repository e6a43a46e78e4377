/** Auth0 log event type codes insole writes (https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes). */
export const LOG_TYPES = {
  s: 'Success Login',
  f: 'Failed Login',
  fp: 'Failed Login (Incorrect Password)',
  fu: 'Failed Login (Invalid Email/Username)',
  ss: 'Success Signup',
  fs: 'Failed Signup',
  slo: 'Success Logout',
  limit_wc: 'Blocked Account',
  limit_mu: 'Blocked IP Address',
  sv: 'Success Verification Email',
  fv: 'Failed Verification Email',
  scp: 'Success Change Password',
  fcp: 'Failed Change Password',
  scpr: 'Success Change Password Request',
  fcpr: 'Failed Change Password Request',
  fvr: 'Failed Verification Email Request',
  flo: 'Failed Logout',
  sapi: 'Success API Operation',
  fapi: 'Failed API Operation',
  // insole additions (Auth0 records these as Management API events): account linking by the user.
  link: 'Account Linked',
  unlink: 'Account Unlinked',
} as const;

export type LogType = keyof typeof LOG_TYPES;
