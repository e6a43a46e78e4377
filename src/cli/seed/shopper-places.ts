/**
 * Where the demo shoppers live: the countries InnovaShoes sells in, weighted as a European-American
 * web shop's audience would be, with their largest cities. `utc_offset` shifts the visiting hours
 * (shoppers come in the evening, local time); `names` picks the name list.
 */
export interface Country {
  code: string;
  /** As FullContact and Facebook write it. */
  name: string;
  weight: number;
  utc_offset: number;
  names: 'en' | 'de' | 'it' | 'fr' | 'es' | 'nl';
  /** [city, region, weight]; Facebook names US and Canadian places "City, State". */
  cities: readonly (readonly [string, string, number])[];
}

export const COUNTRIES: readonly Country[] = [
  {
    code: 'US', name: 'United States', weight: 34, utc_offset: -6, names: 'en',
    cities: [['New York', 'New York', 9], ['Los Angeles', 'California', 6], ['Chicago', 'Illinois', 4], ['Boulder', 'Colorado', 2],
      ['Portland', 'Oregon', 3], ['Austin', 'Texas', 3], ['Boston', 'Massachusetts', 3], ['Seattle', 'Washington', 3], ['Denver', 'Colorado', 2]],
  },
  {
    code: 'GB', name: 'United Kingdom', weight: 14, utc_offset: 0, names: 'en',
    cities: [['London', 'England', 10], ['Manchester', 'England', 3], ['Bristol', 'England', 2], ['Edinburgh', 'Scotland', 2], ['Leeds', 'England', 2]],
  },
  {
    code: 'DE', name: 'Germany', weight: 12, utc_offset: 1, names: 'de',
    cities: [['Berlin', 'Berlin', 6], ['Munich', 'Bavaria', 4], ['Hamburg', 'Hamburg', 4], ['Cologne', 'North Rhine-Westphalia', 3], ['Frankfurt', 'Hesse', 2]],
  },
  {
    code: 'IT', name: 'Italy', weight: 9, utc_offset: 1, names: 'it',
    cities: [['Milan', 'Lombardy', 6], ['Rome', 'Lazio', 5], ['Turin', 'Piedmont', 2], ['Bologna', 'Emilia-Romagna', 2], ['Florence', 'Tuscany', 2]],
  },
  {
    code: 'FR', name: 'France', weight: 8, utc_offset: 1, names: 'fr',
    cities: [['Paris', 'Île-de-France', 8], ['Lyon', 'Auvergne-Rhône-Alpes', 3], ['Marseille', "Provence-Alpes-Côte d'Azur", 2], ['Bordeaux', 'Nouvelle-Aquitaine', 2]],
  },
  {
    code: 'ES', name: 'Spain', weight: 6, utc_offset: 1, names: 'es',
    cities: [['Madrid', 'Community of Madrid', 5], ['Barcelona', 'Catalonia', 5], ['Valencia', 'Valencian Community', 2], ['Seville', 'Andalusia', 2]],
  },
  {
    code: 'NL', name: 'Netherlands', weight: 5, utc_offset: 1, names: 'nl',
    cities: [['Amsterdam', 'North Holland', 5], ['Rotterdam', 'South Holland', 3], ['Utrecht', 'Utrecht', 2], ['Eindhoven', 'North Brabant', 1]],
  },
  {
    code: 'CA', name: 'Canada', weight: 6, utc_offset: -5, names: 'en',
    cities: [['Toronto', 'Ontario', 5], ['Vancouver', 'British Columbia', 4], ['Montreal', 'Quebec', 3], ['Calgary', 'Alberta', 2]],
  },
  {
    code: 'AU', name: 'Australia', weight: 6, utc_offset: 10, names: 'en',
    cities: [['Sydney', 'New South Wales', 5], ['Melbourne', 'Victoria', 5], ['Brisbane', 'Queensland', 2], ['Perth', 'Western Australia', 1]],
  },
];

export const COUNTRY_WEIGHTS = COUNTRIES.map((country) => [country, country.weight] as const);

/** Local hour of a visit → weight: little at night, a lunch bump, most in the evening. */
export const VISIT_HOURS = [
  1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3.5, 3.5, 4, 5, 4.5, 4, 4, 4.5, 5, 6, 7.5, 8, 7, 5, 2.5,
].map((weight, hour) => [hour, weight] as const);
