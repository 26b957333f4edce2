import { Router } from 'express';
import { getSandboxMail, listSandboxMail } from './mail.service';
import { notFound } from './sandbox.errors';

/** The outbox: mail the tool sent while the Sandbox was its mail transport. */
export function createMailRouter(): Router {
  const router = Router();
  router.get('/mail', async (_req, res, next) => {
    try {
      const messages = await listSandboxMail();
      res.render('sandbox/mail-list', { title: 'Sandbox LMS — mail outbox', messages, isEmpty: messages.length === 0 });
    } catch (err) {
      next(err);
    }
  });
  router.get('/mail/:id', async (req, res, next) => {
    try {
      const message = await getSandboxMail(req.params.id);
      if (!message) throw notFound('No such message in the outbox');
      res.render('sandbox/mail-show', { title: `Sandbox LMS — ${message.subject || 'message'}`, message });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
