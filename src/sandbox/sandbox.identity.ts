import type { AppConfig } from '../platform/config';

export interface SandboxIdentity {
  issuer: string;
  name: string;
  clientId: string;
  deploymentId: string;
  authEndpoint: string;
  tokenEndpoint: string;
  jwksUrl: string;
  toolLoginUrl: string;
  toolLaunchUrl: string;
  toolJwksUrl: string;
}

/** The Sandbox LMS as a platform, and the tool as the Sandbox has it registered. */
export function sandboxIdentity(config: Pick<AppConfig, 'publicUrl'>): SandboxIdentity {
  const publicUrl = config.publicUrl.replace(/\/+$/, '');
  const issuer = `${publicUrl}/sandbox`;
  return {
    issuer,
    name: 'Fieldbook Sandbox LMS',
    clientId: 'fieldbook-sandbox',
    deploymentId: 'sandbox-deployment-1',
    authEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    jwksUrl: `${issuer}/jwks`,
    toolLoginUrl: `${publicUrl}/lti/login`,
    toolLaunchUrl: `${publicUrl}/lti/launch`,
    toolJwksUrl: `${publicUrl}/lti/keys`,
  };
}

/** Every redirect_uri the tool registered with the Sandbox (Canvas checks against this list). */
export function registeredRedirectUris(config: Pick<AppConfig, 'publicUrl'>): string[] {
  return [sandboxIdentity(config).toolLaunchUrl];
}
