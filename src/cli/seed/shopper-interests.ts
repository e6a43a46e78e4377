/**
 * What the demo shoppers care about, as FullContact (Person Enrich v3 interests: name, category,
 * affinity) and Facebook (liked pages: name, category) report it. The lists are split by whether
 * they mean fitness under the shipped vocabulary (src/insight/facts/default-vocabulary.ts): a
 * runner's profile holds "Running" (category "Fitness") or likes "Runner's World"; a shopper
 * who only follows football is a sports fan, not "interested in fitness".
 */
type Interest = readonly [name: string, category: string];
type Page = readonly [name: string, category: string];

export const FITNESS_INTERESTS: readonly Interest[] = [
  ['Running', 'Fitness'], ['Marathons', 'Fitness'], ['Yoga', 'Fitness'], ['Weight Training', 'Fitness'], ['CrossFit', 'Fitness'],
  ['Trail Running', 'Outdoor Recreation'], ['Triathlon', 'Sports'], ['Pilates', 'Health & Fitness'], ['Workouts', 'Health & Fitness'],
];

export const OTHER_INTERESTS: readonly Interest[] = [
  ['Coffee', 'Food & Drink'], ['Cooking', 'Food & Drink'], ['Craft Beer', 'Food & Drink'], ['Travel', 'Travel'],
  ['Photography', 'Arts & Entertainment'], ['Movies', 'Arts & Entertainment'], ['Music', 'Arts & Entertainment'],
  ['Video Games', 'Gaming'], ['Fashion', 'Style & Fashion'], ['Sneakers', 'Style & Fashion'], ['Technology', 'Technology'],
  ['Personal Finance', 'Business & Finance'], ['Parenting', 'Family'], ['Football', 'Sports'], ['Basketball', 'Sports'],
  ['Tennis', 'Sports'], ['Cycling', 'Sports'], ['Hiking', 'Outdoor Recreation'], ['Gardening', 'Home & Garden'],
  ['Dogs', 'Pets'], ['Books', 'Books & Literature'],
];

/** FullContact's free topics, besides interests. */
export const FITNESS_TOPICS = ['Marathon Training', 'Running Shoes', 'Strava', 'Half Marathon', 'Home Workouts', 'Yoga'];
export const OTHER_TOPICS = ['Travel Photography', 'Home Cooking', 'Specialty Coffee', 'Streetwear', 'Personal Finance', 'Indie Music', 'Board Games'];

export const FITNESS_PAGES: readonly Page[] = [
  ["Runner's World", 'Magazine'], ['Strava', 'App page'], ['Marathon Training', 'Sports & Recreation'], ['Yoga Journal', 'Magazine'],
  ['Couch to 5K', 'App page'], ["Women's Running", 'Magazine'], ['Gym Shark', 'Clothing (Brand)'], ['Fitness Blender', 'Health/beauty'],
  ['CrossFit', 'Sports & Recreation'], ['parkrun', 'Sports & Recreation'],
];

export const OTHER_PAGES: readonly Page[] = [
  ['National Geographic', 'Media/news company'], ['Netflix', 'Entertainment website'], ['Spotify', 'App page'],
  ['BBC News', 'Media/news company'], ['Tasty', 'Media/news company'], ['IKEA', 'Furniture store'], ['Lonely Planet', 'Travel company'],
  ['FC Barcelona', 'Sports team'], ['NBA', 'Sports league'], ['Sneaker News', 'Media/news company'], ['Hypebeast', 'Media/news company'],
  ['The Coffee Collective', 'Coffee shop'], ['TED', 'Nonprofit organization'], ['Humans of New York', 'Personal blog'],
];
