/**
 * Our own typed view of the parts of ltijs 5.9.9 Fieldbook uses. @types/ltijs
 * describes ltijs 4 and lacks submitScore, dynamic registration and more.
 */
import type { Express, NextFunction, Request, Response } from 'express';

export interface LtiPlatform {
  platformUrl(): Promise<string>;
  platformClientId(): Promise<string>;
  platformName(): Promise<string>;
  platformId(): Promise<string>;
  platformKid(): Promise<string>;
  platformActive(active?: boolean): Promise<boolean>;
  platformAuthEndpoint(): Promise<string>;
  platformAccessTokenEndpoint(): Promise<string>;
  /** A cached access token for exactly this scope string (ltijs fetches a new one when expired). */
  platformAccessToken(scopes: string): Promise<{ token_type: string; access_token: string; expires_in: number }>;
  platformPublicKey(): Promise<string>;
  platformAuthConfig(): Promise<{ method: 'RSA_KEY' | 'JWK_KEY' | 'JWK_SET'; key: string }>;
  platformJSON(): Promise<Record<string, unknown>>;
  delete(): Promise<boolean>;
}

export interface PlatformInput {
  url: string;
  name: string;
  clientId: string;
  authenticationEndpoint: string;
  accesstokenEndpoint: string;
  authorizationServer?: string;
  authConfig: { method: 'RSA_KEY' | 'JWK_KEY' | 'JWK_SET'; key: string };
}

/** What ltijs keeps per launch context (res.locals.context). */
export interface LtiContextToken {
  contextId: string;
  user: string;
  context?: { id: string; label?: string; title?: string; type?: string[] };
  resource?: { id: string; title?: string; description?: string };
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest' | string;
  version: string;
  deepLinkingSettings?: {
    deep_link_return_url: string;
    accept_types: string[];
    accept_presentation_document_targets?: string[];
    accept_multiple?: boolean;
    auto_create?: boolean;
    data?: string;
    title?: string;
    text?: string;
  };
  lis?: Record<string, unknown>;
  path: string;
  roles: string[];
  targetLinkUri: string;
  custom?: Record<string, unknown>;
  launchPresentation?: { document_target?: string; return_url?: string; locale?: string };
  endpoint?: { scope: string[]; lineitems?: string; lineitem?: string };
  namesRoles?: { context_memberships_url: string; service_versions?: string[] };
}

/** What ltijs keeps per user and platform (res.locals.token). */
export interface LtiIdToken {
  iss: string;
  user: string;
  userInfo: { given_name?: string; family_name?: string; name?: string; email?: string };
  platformInfo?: { guid?: string; name?: string; product_family_code?: string; version?: string };
  clientId: string;
  platformId: string;
  deploymentId: string;
  platformContext: LtiContextToken;
}

export interface AgsScore {
  userId: string;
  scoreGiven?: number;
  scoreMaximum?: number;
  comment?: string;
  activityProgress: 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
  gradingProgress: 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';
  timestamp?: string;
  [extension: string]: unknown;
}

export interface AgsLineItem {
  id?: string;
  scoreMaximum: number;
  label: string;
  resourceLinkId?: string;
  resourceId?: string;
  tag?: string;
  startDateTime?: string;
  endDateTime?: string;
}

export interface NrpsMember {
  status?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  user_id: string;
  lis_person_sourcedid?: string;
  roles: string[];
}

export interface DeepLinkingContentItem {
  type: 'ltiResourceLink' | 'link' | 'html' | 'file' | 'image';
  title?: string;
  text?: string;
  url?: string;
  custom?: Record<string, string>;
  lineItem?: { scoreMaximum: number; label?: string; resourceId?: string; tag?: string; gradesReleased?: boolean };
  available?: { startDateTime?: string; endDateTime?: string };
  submission?: { startDateTime?: string; endDateTime?: string };
  [extension: string]: unknown;
}

type LtiHandler = (token: LtiIdToken, req: Request, res: Response, next: NextFunction) => unknown;
type PlainHandler = (req: Request, res: Response, next?: NextFunction) => unknown;

export interface LtiProvider {
  app: Express;
  Database: {
    Get(enc: false | string, collection: string, query: object): Promise<unknown[] | false>;
    /** deleteMany on ltijs's model for `collection` (e.g. 'accesstoken'); the query is passed through. */
    Delete(collection: string, query: object): Promise<true>;
  };
  setup(
    encryptionKey: string,
    database: { url: string; connection?: Record<string, unknown> },
    options: {
      appRoute?: string;
      loginRoute?: string;
      keysetRoute?: string;
      dynRegRoute?: string;
      devMode?: boolean;
      tokenMaxAge?: number | false;
      cors?: boolean;
      cookies?: { secure?: boolean; sameSite?: string; domain?: string };
      dynReg?: Record<string, unknown>;
    },
  ): LtiProvider;
  deploy(options: { serverless: true; silent?: boolean }): Promise<true>;
  close(options?: { silent?: boolean }): Promise<true>;
  onConnect(handler: LtiHandler): true;
  onDeepLinking(handler: LtiHandler): true;
  onInvalidToken(handler: PlainHandler): true;
  onSessionTimeout(handler: PlainHandler): true;
  onUnregisteredPlatform(handler: PlainHandler): true;
  onInactivePlatform(handler: PlainHandler): true;
  whitelist(...routes: Array<string | RegExp | { route: string | RegExp; method: string }>): true;
  registerPlatform(platform: PlatformInput): Promise<LtiPlatform>;
  getPlatform(url: string, clientId: string): Promise<LtiPlatform | false>;
  getPlatform(url: string): Promise<LtiPlatform[] | false>;
  getPlatformById(platformId: string): Promise<LtiPlatform | false>;
  getAllPlatforms(): Promise<LtiPlatform[]>;
  deletePlatform(url: string, clientId: string): Promise<boolean>;
  redirect(res: Response, path: string, options?: { newResource?: boolean; query?: Record<string, string> }): Promise<void>;
  Grade: {
    getLineItems(
      idtoken: Partial<LtiIdToken>,
      options?: { resourceLinkId?: boolean | string; tag?: string; resourceId?: string; label?: string; limit?: number },
    ): Promise<{ lineItems: AgsLineItem[] }>;
    createLineItem(idtoken: Partial<LtiIdToken>, lineItem: AgsLineItem, options?: { resourceLinkId?: boolean }): Promise<AgsLineItem>;
    getLineItemById(idtoken: Partial<LtiIdToken>, lineItemId: string): Promise<AgsLineItem>;
    submitScore(idtoken: Partial<LtiIdToken>, lineItemId: string, score: AgsScore): Promise<unknown>;
    getScores(idtoken: Partial<LtiIdToken>, lineItemId: string, options?: { userId?: string; limit?: number }): Promise<unknown>;
  };
  NamesAndRoles: {
    getMembers(
      idtoken: Partial<LtiIdToken>,
      options?: { role?: string; limit?: number; pages?: number | false; url?: string; resourceLinkId?: boolean },
    ): Promise<{ id: string; context: unknown; members: NrpsMember[]; next?: string }>;
  };
  DeepLinking: {
    createDeepLinkingMessage(
      idtoken: LtiIdToken,
      contentItems: DeepLinkingContentItem[],
      options?: { message?: string; errMessage?: string; log?: string; errLog?: string },
    ): Promise<string>;
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ltijs = require('ltijs') as { Provider: LtiProvider };

/** The single shared ltijs Provider instance (ltijs allows one setup per process). */
export const lti: LtiProvider = ltijs.Provider;
