// The app's own schema: private notes. `noteAdded` is a standard subscription
// (an AsyncIterable from `subscribe`), exactly as it would be written for graphql-ws's useServer.
import { EventEmitter, on } from 'node:events';
import { GraphQLBoolean, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';

const events = new EventEmitter();
const notes = []; // { id, owner, text } — an in-memory table for the example

function signedIn(context) {
  if (context.session === undefined) throw new Error('Sign in first.');
  return context.session.userId;
}

const Note = new GraphQLObjectType({
  name: 'Note',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLString) },
    owner: { type: new GraphQLNonNull(GraphQLString) },
    text: { type: new GraphQLNonNull(GraphQLString) },
  },
});

export const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      me: { type: GraphQLString, resolve: (_source, _args, context) => context.session?.userId ?? null },
      notes: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Note))),
        resolve: (_source, _args, context) => notes.filter((note) => note.owner === signedIn(context)),
      },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: {
      addNote: {
        type: new GraphQLNonNull(Note),
        args: { text: { type: new GraphQLNonNull(GraphQLString) } },
        resolve: (_source, { text }, context) => {
          const note = { id: String(notes.length + 1), owner: signedIn(context), text };
          notes.push(note);
          events.emit('note', note);
          return note;
        },
      },
      clearNotes: {
        type: new GraphQLNonNull(GraphQLBoolean),
        resolve: (_source, _args, context) => {
          const owner = signedIn(context);
          for (let i = notes.length - 1; i >= 0; i--) if (notes[i].owner === owner) notes.splice(i, 1);
          return true;
        },
      },
    },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      noteAdded: {
        type: new GraphQLNonNull(Note),
        // Only the subscriber's own notes: the filter uses the subscriber's own context
        // (like graphql-subscriptions' withFilter). return() — on complete, close or
        // logout — ends the `on` iterator, which drops its listener at once.
        subscribe: (_source, _args, context) => {
          const owner = signedIn(context);
          const source = on(events, 'note');
          return {
            [Symbol.asyncIterator]() {
              return this;
            },
            async next() {
              for (;;) {
                const result = await source.next();
                if (result.done) return result;
                const [note] = result.value;
                if (note.owner === owner) return { done: false, value: { noteAdded: note } };
              }
            },
            return: () => source.return(),
          };
        },
      },
    },
  }),
});
