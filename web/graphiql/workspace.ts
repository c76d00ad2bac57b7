/**
 * The seed's GraphiQL workspace as GraphiQL tabs, one operation each, named
 * as in the seed. The comments in each document tell a person what to do.
 */

export interface WorkspaceTab {
  readonly query: string;
  readonly variables?: string;
  readonly headers?: string;
}

// Arguments are written inline rather than as variables: GraphiQL 3 does not
// load the first tab's variables into its editor, and inline is easiest to edit.
export const WORKSPACE: readonly WorkspaceTab[] = [
  {
    query: `# Creates an account and signs you in. The response
# sets the session cookie (httpOnly), which every
# request from this page then carries.
mutation accountsRegister {
  accountsRegister(
    email: "ada@example.com"
    password: "correct horse battery staple"
    name: "Ada"
  ) {
    id
    email
    name
    createdAt
  }
}
`,
  },
  {
    query: `# Signs in with a new session (sets the cookie).
mutation accountsLogin {
  accountsLogin(
    email: "ada@example.com"
    password: "correct horse battery staple"
  ) {
    id
    email
    name
  }
}
`,
  },
  {
    query: `# Who is signed in, and a single-use socket ticket
# (valid 60 s by default). No need to copy it: the
# subscriptions on this page fetch their own.
# The seed's manual flow: on the accountsUserCount
# tab, paste {"token": "<this token>"} in Headers.
query accountsMe {
  accountsMe {
    user {
      id
      email
      name
    }
    token
  }
}
`,
  },
  {
    query: `# A number from 1 to 10 for you, every
# USER_COUNT_INTERVAL_MS (10 s by default),
# over the WebSocket at /graphql. The page gets
# a new ticket on every connect: nothing to copy.
#
# Manual flow (the seed's): Headers below =
#   {"token": "<accountsMe.token>"}
# sent in connection_init, never in the URL; once.
subscription accountsUserCount {
  accountsUserCount
}
`,
  },
  {
    query: `# Announcements to every signed-in user, published
# by the systemAnnounce(message: "...") mutation
# (only for admins: npm run admin -- grant <email>).
subscription systemAnnouncements {
  systemAnnouncements {
    id
    message
    createdAt
  }
}
`,
  },
  {
    query: `# Ends this session and clears the cookie. Its
# live sockets close with 4401 "session ended":
# a running subscription stops and says so.
mutation accountsLogout {
  accountsLogout
}
`,
  },
];
