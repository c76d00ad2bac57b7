/**
 * The schema GraphiQL shows, built from the server's own SDL at bundle time.
 * GraphiQL then needs no introspection request: Tessera's depth limit
 * (MAX_QUERY_DEPTH, 12 by default) refuses GraphiQL's introspection query.
 */
import { buildSchema, type GraphQLSchema } from 'graphql';
import { typeDefs } from '../../src/graphql/type-defs.js';

export function tesseraSchema(): GraphQLSchema {
  return buildSchema(typeDefs);
}
