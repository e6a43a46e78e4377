/**
 * Object keys that no stored metadata may have, and so no search path may name. JSON.parse keeps
 * "__proto__" as a key, but zod drops it and objects built from it take it as their prototype;
 * mongoose's update casting drops "constructor" and "prototype" below a $set path (its
 * specialProperties); an in-process evaluator (mingo) reads them off Object.prototype or throws.
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
