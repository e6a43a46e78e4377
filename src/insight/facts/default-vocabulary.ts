/**
 * The interest vocabulary shipped for a sports-footwear store (config `insight.interests`). Terms
 * match topics as whole words or phrases (see interest-vocabulary.ts), so list the forms people
 * and pages actually use ("runner" and "runners"); avoid words that are common outside the
 * interest ("run" is also "Chicken Run", "training" also "dog training").
 */
export const DEFAULT_INTEREST_VOCABULARY: Readonly<Record<string, readonly string[]>> = Object.freeze({
  fitness: [
    'fitness', 'physical fitness', 'health & fitness', 'health and fitness', 'gym', 'gyms', 'workout', 'workouts',
    'exercise', 'running', 'runner', 'runners', 'jogging', 'marathon', 'marathons', 'half marathon', 'triathlon',
    'yoga', 'pilates', 'crossfit', 'bodybuilding', 'weight training', 'strength training', 'personal trainer', 'strava',
  ],
  running: [
    'running', 'runner', 'runners', 'jogging', 'marathon', 'marathons', 'half marathon', 'ultramarathon', 'trail running',
    'track & field', 'track and field', 'parkrun', '5k', '10k', 'running shoes',
  ],
  sports: [
    'sports', 'sport', 'sports & recreation', 'sports and recreation', 'sports team', 'athlete', 'athletics',
    'football', 'soccer', 'basketball', 'tennis', 'cycling', 'swimming', 'volleyball', 'baseball', 'rugby', 'golf',
  ],
  outdoor: [
    'outdoors', 'outdoor', 'outdoor recreation', 'hiking', 'trekking', 'backpacking', 'camping', 'climbing',
    'mountaineering', 'trail running', 'mountain biking', 'national park',
  ],
  footwear: ['footwear', 'shoes', 'sneakers', 'sneaker', 'sneakerhead', 'running shoes', 'trainers', 'shoe store'],
});
