/** Activity.type of mentorship check-in activities (and the placement's custom activity_type). */
export const MENTORSHIP = 'mentorship-checkins';
