import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import type { Logger } from '../../lib/logger.ts';

export interface RuleFile {
  /** The file name, e.g. `01-fullcontact.js`: what logs and `rules.critical` call the rule. */
  name: string;
  critical: boolean;
  /** Evaluates to the rule function, in the context it runs in. Compiled once. */
  script: vm.Script;
}

export class RuleLoadError extends Error {}

// Comments and blank lines before the function: `return` goes after them (a line break right
// after `return` would return nothing).
const LEADING = /^(?:\s+|\/\/[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

/**
 * An Auth0 rule is a function expression, possibly followed by helper function declarations
 * (Auth0's own templates do that). Wrapped as the body of a function that returns it, the helpers
 * are hoisted next to it and the file stays plain sloppy-mode JavaScript, as in Auth0.
 */
export function compileRule(name: string, source: string, filename = name): vm.Script {
  const code = source.replace(/^\uFEFF/, '').replace(/^#![^\n]*/, '');
  const prefix = LEADING.exec(code)?.[0] ?? '';
  const wrapped = `(function () {\n${prefix}return ${code.slice(prefix.length)}\n})()`;
  // lineOffset -1: the wrapper's first line does not count, so stack traces show the file's lines.
  return new vm.Script(wrapped, { filename, lineOffset: -1 });
}

/**
 * The `.js` files directly in the folder, in name order. A file that does not compile is logged
 * and left out; a critical rule that cannot run, or a critical name with no file, stops the start
 * (it would deny every sign-in, or silently not guard anything).
 */
export function loadRuleFiles(options: { folder: string; critical: string[] }, logger: Logger): RuleFile[] {
  const folder = resolve(options.folder);
  const critical = new Set(options.critical);
  // statSync follows symlinks: Kubernetes mounts ConfigMap files as links.
  const names = existsSync(folder)
    ? readdirSync(folder).filter((name) => name.endsWith('.js') && !name.startsWith('.') && statSync(join(folder, name)).isFile()).sort()
    : [];
  const missing = [...critical].filter((name) => !names.includes(name));
  if (missing.length) throw new RuleLoadError(`rules.critical names ${missing.join(', ')}, not found in ${folder}`);

  const rules: RuleFile[] = [];
  for (const name of names) {
    try {
      rules.push({ name, critical: critical.has(name), script: compileRule(name, readFileSync(join(folder, name), 'utf8'), join(folder, name)) });
    } catch (err) {
      if (critical.has(name)) throw new RuleLoadError(`critical rule ${name} does not compile: ${(err as Error).message}`);
      logger.error({ rule: name, err: { message: (err as Error).message } }, 'rule does not compile; it is left out');
    }
  }
  if (rules.length) logger.info({ folder, rules: rules.map((r) => r.name), critical: [...critical] }, 'rules loaded');
  return rules;
}
