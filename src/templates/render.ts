import Handlebars from 'handlebars';
import { UsageError } from '../errors.ts';
import { TEMPLATE_HELPERS } from './helpers.ts';

// One environment for the whole program; config files are not HTML, so nothing is escaped.
const handlebars = Handlebars.create();
handlebars.registerHelper(TEMPLATE_HELPERS);

// Every host renders the same sources: compile each once (compiling cost more CPU than the rest of a
// converged host's run on the controller).
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function compiledTemplate(source: string): Handlebars.TemplateDelegate {
  let template = compiled.get(source);
  if (!template) {
    template = handlebars.compile(source, { strict: true, noEscape: true });
    compiled.set(source, template);
  }
  return template;
}

/**
 * Renders a template with strict variables: a missing variable is an error naming the template,
 * its line and column and the variable, never an empty string.
 */
export function renderTemplate(name: string, source: string, context: Record<string, unknown>): string {
  try {
    return compiledTemplate(source)(context);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${name}: ${error.message}`);
    const message = (error as Error).message;
    const missing = /"([^"]+)" not defined in .*? - (\d+):(\d+)/.exec(message);
    if (missing) throw new UsageError(`${name}:${missing[2]}:${Number(missing[3]) + 1}: variable "${missing[1]}" is not defined for this host; set it in the inventory (vars:) or with -e`);
    const parse = /Parse error on line (\d+):/.exec(message);
    throw new UsageError(`${name}${parse ? `:${parse[1]}` : ''}: template error: ${message.split('\n').slice(0, 4).join(' ')}`);
  }
}
