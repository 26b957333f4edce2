import { z } from 'zod';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** Naming a candidate's course mentor (from any activity of the course): who, and where the link goes. */
export const mentorFormSchema = z.object({
  candidate: z.preprocess(blank, z.string().max(255).optional()),
  mentorName: z.string().trim().min(1, 'Enter the mentor’s name.').max(200, 'Keep the name under 200 characters.'),
  mentorEmail: z.string().trim().min(1, 'Enter the mentor’s email address.').max(320, 'That email address is too long.').email('Enter a valid email address, e.g. name@school.org.'),
});
export type MentorForm = z.infer<typeof mentorFormSchema>;
