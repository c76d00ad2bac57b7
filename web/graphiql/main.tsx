/** GraphiQL at /graphiql, with the seed's workspace as tabs and Tessera's fetcher. */
import { useEditorContext } from '@graphiql/react';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/graphiql.css';
import './page.css';
import { graphqlHttpUrl, graphqlWsUrl } from '../shared/endpoints.js';
import { createTesseraFetcher } from './fetcher.js';
import { tesseraSchema } from './schema.js';
import { type EditorView, GraphiQLTabs } from './tabs.js';
import { adoptStyleNonce } from './style-nonce.js';
import { WORKSPACE } from './workspace.js';

adoptStyleNonce();
const tabs = new GraphiQLTabs();
const fetcher = createTesseraFetcher({ httpUrl: graphqlHttpUrl(), wsUrl: graphqlWsUrl(), tabs });

/** Renders nothing; hands GraphiQL's current tabs to the fetcher on every render. */
function TabsBridge(): null {
  tabs.update(useEditorContext({ nonNull: true }) as unknown as EditorView);
  return null;
}
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
    <GraphiQL.Footer>
      <TabsBridge />
    </GraphiQL.Footer>
  </GraphiQL>,
);
