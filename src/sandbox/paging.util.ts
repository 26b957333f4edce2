import { z } from 'zod';

/** Page-based paging as Canvas does it: `?page=N&limit=M`, with a `Link: <…>; rel="next"` header. */
export function pagingSchema(defaultLimit: number, maxLimit: number) {
  return {
    limit: z.coerce.number().int().min(1).default(defaultLimit).transform((n) => Math.min(n, maxLimit)),
    page: z.coerce.number().int().min(1).max(100000).default(1),
  };
}

/** Link header for the pages around `page`; `url` is the absolute URL without the paging parameters. */
export function linkHeader(url: string, query: Record<string, string | undefined>, page: number, limit: number, hasNext: boolean): string {
  const at = (n: number): string => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    params.set('limit', String(limit));
    params.set('page', String(n));
    return `<${url}?${params.toString()}>`;
  };
  const links = [`${at(page)}; rel="current"`, `${at(1)}; rel="first"`];
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`);
  if (hasNext) links.push(`${at(page + 1)}; rel="next"`);
  return links.join(', ');
}
