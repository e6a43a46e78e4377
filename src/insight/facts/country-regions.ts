import { nameKey } from './country-names.ts';

/**
 * Facebook names a North American place "City, State" ("Boulder, Colorado"): the state tells the
 * country. Only the US and Canada, where Graph does this; elsewhere the last part is the country.
 */
const US_STATES = [
  'Alabama', 'Alaska', 'Arizona', 'Arkansas', 'California', 'Colorado', 'Connecticut', 'Delaware', 'District of Columbia',
  'Florida', 'Georgia', 'Hawaii', 'Idaho', 'Illinois', 'Indiana', 'Iowa', 'Kansas', 'Kentucky', 'Louisiana', 'Maine',
  'Maryland', 'Massachusetts', 'Michigan', 'Minnesota', 'Mississippi', 'Missouri', 'Montana', 'Nebraska', 'Nevada',
  'New Hampshire', 'New Jersey', 'New Mexico', 'New York', 'North Carolina', 'North Dakota', 'Ohio', 'Oklahoma', 'Oregon',
  'Pennsylvania', 'Rhode Island', 'South Carolina', 'South Dakota', 'Tennessee', 'Texas', 'Utah', 'Vermont', 'Virginia',
  'Washington', 'West Virginia', 'Wisconsin', 'Wyoming',
];
const CANADIAN_PROVINCES = [
  'Alberta', 'British Columbia', 'Manitoba', 'New Brunswick', 'Newfoundland and Labrador', 'Nova Scotia', 'Ontario',
  'Prince Edward Island', 'Quebec', 'Saskatchewan', 'Northwest Territories', 'Nunavut', 'Yukon',
];

const REGIONS = new Map<string, string>([
  ...US_STATES.map((name) => [nameKey(name), 'US'] as const),
  ...CANADIAN_PROVINCES.map((name) => [nameKey(name), 'CA'] as const),
]);

/** The country of a US state or Canadian province name, else undefined. */
export function countryOfRegion(name: string): string | undefined {
  return REGIONS.get(nameKey(name));
}
