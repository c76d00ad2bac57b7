/** The document cache a gateway (and the Fastify plugin's HTTP side, sharing it) builds from its limits. */
import type { GraphQLSchema } from 'graphql';
import { DocumentCache } from '../graphql/document-cache.js';
import type { GatewayLimits } from './gateway-limits.js';

export function documentCacheFor(schema: GraphQLSchema, limits: GatewayLimits): DocumentCache {
  return new DocumentCache(schema, {
    maxBytes: limits.maxDocumentBytes,
    maxDepth: limits.maxQueryDepth,
    maxTokens: limits.maxTokens,
    cost: {
      maxAliases: limits.maxAliases,
      maxRootFields: limits.maxRootFields,
      maxIntrospectionFields: limits.maxIntrospectionFields,
      maxFields: limits.maxFields,
    },
    cacheBytes: limits.documentCacheBytes,
    rules: limits.validationRules,
  });
}
