/**
 * True when every string and key in a parsed JSON value is well-formed Unicode. JSON may escape half
 * a surrogate pair (`"\ud800"`), which no UTF-8 store can keep: BSON writes it as U+FFFD. A walk
 * with its own stack, not a JSON.parse reviver, whose recursion a deeply nested value would overflow.
 */
export function isWellFormedJson(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length) {
    const value = pending.pop();
    if (typeof value === 'string' && !value.isWellFormed()) return false;
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, inner] of Object.entries(value)) {
      if (!key.isWellFormed()) return false;
      pending.push(inner);
    }
  }
  return true;
}
