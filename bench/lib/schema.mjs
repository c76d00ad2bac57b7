/**
 * The subscription part of Tessera's schema, as SDL, for the peers: the same
 * two fields and selections, so every server sends the same `next` frames.
 */
export const peerTypeDefs = /* GraphQL */ `
  type Announcement {
    id: ID!
    message: String!
    createdAt: String!
  }
  type Query {
    ok: Boolean!
  }
  type Subscription {
    accountsUserCount: Int!
    systemAnnouncements: Announcement!
  }
`;

/** What every client subscribes to, by scenario. */
export const subscriptionQueries = {
  broadcast: 'subscription { systemAnnouncements { id message createdAt } }',
  peruser: 'subscription { accountsUserCount }',
};

export const broadcastTopic = 'system_announcements';
export const userTopic = (userId) => `user_count:${userId}`;

/** The announcement published in round `round`; the client reads the round back from `message`. */
export const announcement = (round) => ({ id: `a${round}`, message: `r${round}`, createdAt: '2026-01-01T00:00:00.000Z' });
