/** `tessera/fastify`: the Fastify plugin (GraphQL over HTTP + the gateway's socket on one route). */
export { tessera, tessera as default, type TesseraPluginOptions } from './plugin.js';
