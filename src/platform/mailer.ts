import nodemailer, { type Transporter } from 'nodemailer';
import type { AppConfig } from './config';
import { AppError, badGateway } from './errors';
import type { Logger } from './logger';
import { redactUrlTokens } from './redact';

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Small text attachments (a calendar file). */
  attachments?: MailAttachment[];
}

/**
 * Where mail goes when no SMTP server is configured, injected by the composition root (in
 * development and tests: the Sandbox LMS's outbox page). src/platform knows no feature.
 */
export type MailOutbox = (mail: OutgoingMail & { from: string }) => Promise<{ id: string }>;

export interface Mailer {
  /** How mail leaves: a real SMTP server, the Sandbox outbox page, or nowhere (not configured). */
  readonly transport: 'smtp' | 'sandbox-outbox' | 'none';
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

const notConfigured = () =>
  new AppError(503, 'mail_not_configured', 'Fieldbook cannot send email: mail is not configured on this server (SMTP_URL). Ask your Fieldbook administrator.');

/** Host and port only: SMTP URLs carry credentials. */
function describeSmtp(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'smtp';
  }
}

/**
 * With mail.smtpUrl: SMTP through nodemailer. Without it but with an `outbox` (the caller passes
 * the Sandbox outbox in development and tests): that outbox. Otherwise the app still starts (mail
 * is one feature, not the whole product) but logs a warning and every send fails with
 * mail_not_configured.
 * Bodies are never logged: they carry access links.
 */
export function createMailer(config: Pick<AppConfig, 'mail'>, logger: Logger, deps: { outbox?: MailOutbox } = {}): Mailer {
  const log = logger.child({ component: 'mailer' });
  const { smtpUrl, from } = config.mail;

  if (smtpUrl) {
    const server = describeSmtp(smtpUrl);
    const transporter: Transporter = nodemailer.createTransport(smtpUrl, {
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    } as never);
    return {
      transport: 'smtp',
      async send(mail) {
        try {
          const info = (await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, attachments: mail.attachments })) as { messageId: string };
          log.info({ to: mail.to, subject: mail.subject, messageId: info.messageId, server }, 'mail sent');
          return { messageId: info.messageId };
        } catch (err) {
          const e = err as { code?: string; responseCode?: number; message?: string };
          log.error({ to: mail.to, subject: mail.subject, server, code: e.code, responseCode: e.responseCode, reason: redactUrlTokens(String(e.message ?? err)) }, 'mail not sent');
          throw badGateway('mail_send_failed', `The email to ${mail.to} could not be sent: the mail server did not accept it. Please try again later.`);
        }
      },
    };
  }

  const { outbox } = deps;
  if (outbox) {
    log.info('no SMTP_URL: outgoing mail goes to the Sandbox outbox at /sandbox/mail');
    return {
      transport: 'sandbox-outbox',
      async send(mail) {
        const { id } = await outbox({ to: mail.to, from, subject: mail.subject, text: mail.text, html: mail.html, ...(mail.attachments ? { attachments: mail.attachments } : {}) });
        log.info({ to: mail.to, subject: mail.subject, messageId: id }, 'mail stored in the Sandbox outbox');
        return { messageId: `sandbox-${id}` };
      },
    };
  }

  log.warn('mail is not configured (SMTP_URL is empty): invitations and reminders cannot be emailed');
  return {
    transport: 'none',
    async send() {
      throw notConfigured();
    },
  };
}

/** A mailer whose transport can be swapped at run time (tests point the shared server at an SMTP sink). */
export interface SwappableMailer extends Mailer {
  /** Routes every later send through `next`; null restores the mailer built at startup. Tests only. */
  swap(next: Mailer | null): void;
}

export function swappableMailer(initial: Mailer): SwappableMailer {
  let current = initial;
  return {
    get transport() {
      return current.transport;
    },
    send: (mail) => current.send(mail),
    swap(next) {
      current = next ?? initial;
    },
  };
}
