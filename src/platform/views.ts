import path from 'node:path';
import type { Express } from 'express';
import { create } from 'express-handlebars';
import { localTimeHtml } from './local-time';
import { PROJECT_ROOT } from './paths';

export const VIEWS_DIR = path.join(PROJECT_ROOT, 'views');

/**
 * Handlebars escapes by default; templates must not use triple-stash on user text.
 * cache: compile each template (and partial) once per process instead of on every render;
 * unset keeps express's default (on only when NODE_ENV=production).
 */
export function installViews(app: Express, options: { cache?: boolean } = {}): void {
  const hbs = create({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: path.join(VIEWS_DIR, 'layouts'),
    partialsDir: path.join(VIEWS_DIR, 'partials'),
    helpers: {
      eq: (a: unknown, b: unknown) => a === b,
      gt: (a: unknown, b: unknown) => Number(a) > Number(b),
      // {{concat 'item_' index '_text'}}: a field name built from parts (the last argument is Handlebars' options).
      concat: (...parts: unknown[]) => parts.slice(0, -1).map(String).join(''),
      // {{localTime date}} or {{localTime date zone}}: a <time> the viewer's browser shows in their zone.
      localTime: (value: unknown, ...rest: unknown[]) => localTimeHtml(value, typeof rest[0] === 'string' ? rest[0] : null),
    },
  });
  app.engine('.hbs', hbs.engine);
  app.set('view engine', '.hbs');
  app.set('views', VIEWS_DIR);
  if (options.cache !== undefined) app.set('view cache', options.cache);
}
