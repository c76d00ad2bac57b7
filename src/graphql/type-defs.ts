/** The schema's SDL, with the seed's names. */
export const typeDefs = /* GraphQL */ `
  "A person with an account."
  type AccountsUser {
    id: ID!
    email: String!
    name: String
    "When the account was created (ISO 8601)."
    createdAt: String!
  }

  "The signed-in user, with a ticket for opening an authenticated socket."
  type AccountsMe {
    user: AccountsUser!
    """
    A single-use socket ticket, valid for TICKET_TTL_SECONDS: send it as the
    connection_init payload {"token": "..."}. Never put it in a URL.
    """
    token: String!
  }

  "One signed-in browser or device."
  type AccountsSession {
    id: ID!
    createdAt: String!
    lastSeenAt: String!
    "When the session ends unless it is used again (the earlier of idle and absolute expiry)."
    expiresAt: String!
    userAgent: String
    "True for the session making this request."
    current: Boolean!
  }

  "A message to every signed-in user."
  type Announcement {
    id: ID!
    message: String!
    createdAt: String!
  }

  type Query {
    "The signed-in user and a fresh socket ticket; null when nobody is signed in."
    accountsMe: AccountsMe
    "The signed-in user's live sessions."
    accountsSessions: [AccountsSession!]!
  }

  type Mutation {
    "Creates an account and signs in (sets the session cookie)."
    accountsRegister(email: String!, password: String!, name: String): AccountsUser!
    "Signs in with a new session (sets the session cookie)."
    accountsLogin(email: String!, password: String!): AccountsUser!
    "Ends this session and clears the cookie; false when there was none. Its sockets close."
    accountsLogout: Boolean!
    "Ends every session of the signed-in user, this one included. Their sockets close."
    accountsLogoutAll: Boolean!
    "Changes the password and ends every other session of the user."
    accountsChangePassword(currentPassword: String!, newPassword: String!): Boolean!
    "Sends an announcement to every subscriber. Only for users with the admin role (npm run admin -- grant <email>)."
    systemAnnounce(message: String!): Announcement!
  }

  type Subscription {
    "A number from 1 to 10 for the signed-in user, every USER_COUNT_INTERVAL_MS."
    accountsUserCount: Int!
    "Announcements made with systemAnnounce."
    systemAnnouncements: Announcement!
  }
`;
