// The app's own schema: one chat room. `messages` uses Tessera's fast path: the
// event is published once (`app.tessera.publish('chat', message)`) and every
// group of subscribers with the same document is executed once. Its scope is
// 'global': the room is the same for everyone, so it runs with no one's context.
import { buildSchema } from 'graphql';
import { declareTopics } from 'tessera';

export function chatSchema(publish) {
  const schema = buildSchema(`
    type Query { me: String }
    type Message { text: String!, from: String!, at: Float! }
    type Mutation { send(text: String!): Message! }
    type Subscription { messages: Message! }
  `);
  schema.getQueryType().getFields().me.resolve = (_source, _args, context) => context.session?.userId ?? null;
  schema.getMutationType().getFields().send.resolve = async (_source, { text }, context) => {
    if (context.session === undefined) throw new Error('Sign in first.');
    const message = { text, from: context.session.userId, at: Date.now() };
    await publish('chat', message);
    return message;
  };
  return declareTopics(schema, { messages: { scope: 'global', topic: () => 'chat' } });
}
