import { countryCodeOf, nameKey } from './country-names.ts';
import { countryOfRegion } from './country-regions.ts';
import type { FacebookFacts } from './facebook-sources.ts';
import type { Enrichment } from './fullcontact-sources.ts';
import { obj, str } from './json-values.ts';

/** `country`: ISO 3166-1 alpha-2 when the name is known, else the name as given; `city` as given. */
export interface Place {
  country?: string;
  city?: string;
}

const tidy = (value: unknown): string | undefined => str(value)?.replace(/\s+/g, ' ');

/** A country as indexed: its ISO code when we know the name, else the trimmed name (still matchable as typed). */
export function normaliseCountry(value: unknown): string | undefined {
  const name = tidy(value);
  return name ? (countryCodeOf(name) ?? name) : undefined;
}

/**
 * A country as a person asks for it (a segment filter, `report segment --country`): an ISO code in
 * any case (`de` is Germany, as `DE` and `germany` are), else what normaliseCountry makes of the
 * name. Only here: in a stored place, a lower-case pair such as "Boulder, co" is no country code.
 */
export function queriedCountry(value: string): string {
  const code = /^\s*[a-z]{2}\s*$/i.test(value) ? countryCodeOf(value.trim().toUpperCase()) : undefined;
  return code ?? normaliseCountry(value)!;
}

/**
 * "Milan, Italy", "Boulder, Colorado, United States", "Boulder, Colorado" (Facebook names US and
 * Canadian places by state), "London". The first part is the city when there are several; a
 * single part is a country if it names one, else a city. "Georgia" alone says nothing: the US
 * state and the country share the name.
 */
export function parsePlace(text: unknown): Place {
  const parts = (tidy(text) ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) return {};
  const last = parts[parts.length - 1];
  const ambiguous = nameKey(last) === 'georgia';
  const country = ambiguous ? undefined : countryCodeOf(last) ?? (parts.length > 1 ? countryOfRegion(last) : undefined);
  if (parts.length === 1) return country ? { country } : ambiguous ? {} : { city: last };
  return dropEmpty({ city: parts[0], country });
}

function dropEmpty(place: Place): Place {
  return Object.fromEntries(Object.entries(place).filter(([, v]) => v !== undefined)) as Place;
}

/** FullContact v3: its structured first location, with the ISO code from the raw answer. */
function fullContactPlace({ v3, countryCode }: Enrichment): Place {
  const location = obj(v3?.location);
  const structured = dropEmpty({ city: tidy(location.city), country: countryCode ?? normaliseCountry(location.country) });
  return structured.country || structured.city ? structured : parsePlace(location.formatted);
}

/** The v2 demographics: locationDeduced's parts, else the locationGeneral text. */
function demographicsPlace({ demographics }: Enrichment): Place {
  const deduced = obj(demographics.locationDeduced);
  const country = obj(deduced.country);
  const structured = dropEmpty({ city: tidy(obj(deduced.city).name), country: normaliseCountry(str(country.code) ?? country.name) });
  return structured.country || structured.city ? structured : parsePlace(demographics.locationGeneral);
}

/**
 * City and country from ONE source (a city from one and a country from another could be a place
 * that does not exist): FullContact's structured location first, then the v2 demographics, then
 * Facebook's location text, which has to be parsed. The first source with a country wins; failing
 * that, the first with a city.
 */
export function resolvePlace(enrichment: Enrichment, facebook: FacebookFacts): Place {
  const places = [fullContactPlace(enrichment), demographicsPlace(enrichment), parsePlace(facebook.location)];
  return places.find((p) => p.country) ?? places.find((p) => p.city) ?? {};
}
