/** GraphiQL at /graphiql, with the seed's workspace as tabs and Tessera's fetcher. */
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/graphiql.css';
import './page.css';
import { graphqlHttpUrl, graphqlWsUrl } from '../shared/endpoints.js';
import { createTesseraFetcher } from './fetcher.js';
import { tesseraSchema } from './schema.js';
import { adoptStyleNonce } from './style-nonce.js';
import { WORKSPACE } from './workspace.js';

adoptStyleNonce();
const fetcher = createTesseraFetcher({ httpUrl: graphqlHttpUrl(), wsUrl: graphqlWsUrl() });
const container = document.getElementById('graphiql');
if (container === null) throw new Error('no #graphiql element');

createRoot(container).render(
  <GraphiQL
    fetcher={fetcher}
    schema={tesseraSchema()}
    defaultTabs={WORKSPACE.map((tab) => ({ ...tab }))}
    defaultEditorToolsVisibility="headers"
    isHeadersEditorEnabled
    // Headers may hold a pasted ticket: never keep them in localStorage.
    shouldPersistHeaders={false}
  >
    <GraphiQL.Logo>
      <a className="tessera-logo" href="/" title="Back to the live demo">
        Tessera
      </a>
    </GraphiQL.Logo>
  </GraphiQL>,
);
