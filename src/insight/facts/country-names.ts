/**
 * Country names → ISO 3166-1 alpha-2 codes, so that "Italy" (Facebook), "United States"
 * (FullContact) and "US" (FullContact's countryCode) land on the same indexed value. The English
 * names come from ICU (Intl.DisplayNames, shipped with Node), the usual other spellings from the
 * list below; places that are not countries map nothing.
 */

/** Lower case, no accents, "&" as "and", one space, no leading "the". */
export function nameKey(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(/[’‘`]/g, "'").replace(/&/g, ' and ').replace(/[.,]/g, ' ').replace(/\s+/g, ' ').trim().replace(/^the /, '');
}

// ICU region codes that are not countries.
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'ZZ']);

const ALIASES: Record<string, string> = {
  usa: 'US', us: 'US', 'u s a': 'US', 'u s': 'US', 'united states of america': 'US', america: 'US',
  uk: 'GB', 'u k': 'GB', 'great britain': 'GB', britain: 'GB', england: 'GB', scotland: 'GB', wales: 'GB', 'northern ireland': 'GB',
  turkey: 'TR', 'czech republic': 'CZ', 'russian federation': 'RU', 'republic of korea': 'KR', korea: 'KR',
  'hong kong': 'HK', macau: 'MO', macao: 'MO', holland: 'NL', burma: 'MM', myanmar: 'MM', 'ivory coast': 'CI',
  "cote d'ivoire": 'CI', 'cape verde': 'CV', 'cabo verde': 'CV', 'east timor': 'TL', swaziland: 'SZ', eswatini: 'SZ',
  macedonia: 'MK', 'north macedonia': 'MK', 'vatican city': 'VA', vatican: 'VA', palestine: 'PS', uae: 'AE',
};

function buildTable(): Map<string, string> {
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const table = new Map<string, string>();
  for (let first = 65; first <= 90; first++) {
    for (let second = 65; second <= 90; second++) {
      const code = String.fromCharCode(first, second);
      // Deprecated codes (SU, UK, VD…) canonicalise to their successors: skip them, keep the successor.
      if (NOT_COUNTRIES.has(code) || Intl.getCanonicalLocales(`und-${code}`)[0] !== `und-${code}`) continue;
      const name = names.of(code);
      if (name) table.set(nameKey(name), code);
    }
  }
  for (const [alias, code] of Object.entries(ALIASES)) table.set(alias, code);
  return table;
}

const CODES = buildTable();
const KNOWN_CODES = new Set(CODES.values());

/** The ISO code of a country name (or of a code already), or undefined when it names no country. */
export function countryCodeOf(name: string): string | undefined {
  const trimmed = name.trim();
  if (/^[A-Z]{2}$/.test(trimmed) && KNOWN_CODES.has(trimmed)) return trimmed;
  return CODES.get(nameKey(trimmed));
}
