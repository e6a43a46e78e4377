/** Latin letters that Unicode's compatibility decomposition (NFKD) leaves whole, as ASCII spells them (`Straße` is `strasse`). */
const LATIN_WITHOUT_DECOMPOSITION: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/**
 * The key of a segment saved without one, from its name: `a-z0-9` and dashes, at most 60. Accents
 * are dropped, not turned into dashes (`Fútbol fans` is `futbol-fans`, not `fu-tbol-fans`): NFKD
 * splits `ú` into `u` and a combining mark (Unicode category M), which goes. A name with no Latin
 * letter or digit (`女性`) gives `segment`.
 */
export function keyFromName(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '')
    .replace(/[ßæœøłđðþı]/g, (letter) => LATIN_WITHOUT_DECOMPOSITION[letter]!)
    .replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60).replace(/-$/, '') || 'segment';
}
