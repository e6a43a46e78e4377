/**
 * A wait as a person reads it, for pages that also send `Retry-After` (which only programs read):
 * "in a minute", "in about 15 minutes", "in about 24 hours", "in about 3 days". Rounded to the
 * nearest unit, as "about" says; under a minute and a half is "a minute", so nobody is told
 * "in about 0 minutes".
 */
export function waitInWords(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 2) return 'in a minute';
  if (minutes < 60) return `in about ${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours < 2) return 'in about an hour';
  if (hours < 48) return `in about ${hours} hours`;
  return `in about ${Math.round(seconds / 86_400)} days`;
}
