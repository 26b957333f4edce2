/**
 * Capability tokens travel in URLs (ltik, external-access links, external
 * sessions). Anything that may reach a log goes through this first.
 */
export function redactUrlTokens(text: string): string {
  return text
    .replace(/([?&](?:ltik|s|token)=)[^&#\s"'<>]*/g, '$1[redacted]')
    .replace(/(\/access\/)(?!home\b|redeem\b)[A-Za-z0-9_\-.]{20,}/g, '$1[redacted]');
}
