import { PASSWORD_CONNECTION } from '../users/password-user.ts';
import { SOCIAL_CONNECTIONS } from './profile-mapping.ts';

/**
 * Every connection insole names, configured or not: a store that turned X off still has its X users
 * to list, export and report on. The Management API, the reports, segments and the dashboard's
 * segment form all offer these and refuse any other name.
 */
export const CONNECTIONS = [PASSWORD_CONNECTION, ...SOCIAL_CONNECTIONS] as const;
