/** The demo app's subscription topics, named in one place (the library knows none). */
export const Topics = {
  userCount: (userId: string) => `user_count:${userId}`,
  announcements: 'system_announcements',
} as const;
