import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { VIEWS_DIR } from '../../src/platform/views';

/** Renders `{{> name model}}` through the real partials in views/partials, as the pages do. */
export function renderPartial(name: string, model: unknown): string {
  // The same Handlebars express-handlebars renders with (escaping rules included).
  const instance = Handlebars.create();
  const dir = path.join(VIEWS_DIR, 'partials');
  for (const file of readdirSync(dir, { recursive: true }) as string[]) {
    if (file.endsWith('.hbs')) instance.registerPartial(file.slice(0, -4).split(path.sep).join('/'), readFileSync(path.join(dir, file), 'utf8'));
  }
  return instance.compile(`{{> ${name} model}}`)({ model });
}
