/** `tessera/fastify`: the Fastify plugin (GraphQL over HTTP + the gateway's socket on one route). */
export { tessera, tessera as default, type TesseraPluginOptions } from './plugin.js';
/**
 * The building blocks of the plugin's GraphQL-over-HTTP routes, for an app that
 * serves `/graphql` with a route of its own (its own error handler or cookies)
 * next to `createGateway`: read the parameters (`paramsFromBody`,
 * `paramsFromQueryString`), refuse a cross-site or foreign-Origin request before
 * the body is read (`guardRequest`), run the operation with the gateway's
 * document cache and limits (`answerOperation`), and send the answer
 * (`sendAnswer`; `requestError` for a request that never reached execution).
 * `serveSse` hands a GraphQL-over-SSE request to `gateway.sse`.
 */
export { answerOperation, guardRequest, requestError, wantsGraphQLResponse, type HttpAnswer, type HttpOperation } from '../graphql/over-http.js';
export { paramsFromBody, paramsFromQueryString, type GraphQLParams, type ParamsResult } from '../http/graphql-params.js';
export { sendAnswer } from './send-answer.js';
export { serveSse } from './serve-sse.js';
