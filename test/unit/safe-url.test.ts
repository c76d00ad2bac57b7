/** Logged URLs hide every query value but operationName, and anything where a name should be. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, REDACTED, safeUrl, scrubSecrets } from '../../src/logging/logger.js';

const R = REDACTED;

describe('safeUrl', () => {
  it('leaves a URL without a query string alone', () => {
    assert.equal(safeUrl('/graphql'), '/graphql');
  });

  it('hides every value but operationName', () => {
    assert.equal(
      safeUrl('/graphql?query=%7B%20me%20%7D&variables=%7B%22password%22%3A%22x%22%7D&operationName=Me&token=abc.def'),
      `/graphql?query=${R}&variables=${R}&operationName=Me&token=${R}`,
    );
  });

  it('hides a bare value, which may itself be a token', () => {
    const ticket = 't1.eyJzaWQiOiJhIn0.c2lnbmF0dXJl';
    assert.equal(safeUrl(`/graphql?${ticket}`), `/graphql?${R}`);
    assert.ok(!safeUrl(`/graphql?a=1&${ticket}`).includes('eyJ'));
  });

  it('hides a name that does not read like a name', () => {
    const secret = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg';
    assert.ok(!safeUrl(`/graphql?${secret}=`).includes(secret));
    assert.ok(!safeUrl(`/graphql?${secret}=x`).includes(secret));
    assert.ok(!safeUrl(`/graphql?a%2Eb=x`).includes('a.b'));
  });

  it('decodes operationName before re-encoding it, and keeps empty parts out', () => {
    assert.equal(safeUrl('/graphql?operationName=My+Op&&x='), `/graphql?operationName=My%20Op&x=${R}`);
  });

  it('keeps access_token and password names but not their values', () => {
    const out = safeUrl('/x?access_token=s3cr3t-value&password=hunter22');
    assert.equal(out, `/x?access_token=${R}&password=${R}`);
  });
});

describe('safeUrl: credential-shaped strings anywhere in the URL', () => {
  const ticket = `t1.${Buffer.from(JSON.stringify({ sid: 'a'.repeat(22), uid: 'b'.repeat(22), exp: 1, jti: 'c'.repeat(22) })).toString('base64url')}.${'S'.repeat(43)}`;
  const secret = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd';

  it('replaces a path segment holding a ticket or a session secret, plain or percent-encoded, and keeps the others', () => {
    assert.equal(safeUrl(`/graphql/${ticket}`), `/graphql/${R}`);
    assert.equal(safeUrl(`/${secret}/graphql`), `/${R}/graphql`);
    assert.equal(safeUrl(`/graphql/${ticket.replaceAll('.', '%2E')}`), `/graphql/${R}`);
    assert.equal(safeUrl(`/graphql/%41${secret.slice(1)}`), `/graphql/${R}`);
    assert.equal(safeUrl(`/graphql/${secret}?operationName=Me`), `/graphql/${R}?operationName=Me`);
    assert.equal(safeUrl('/assets/app.1a2b3c4d.js'), '/assets/app.1a2b3c4d.js');
    assert.equal(safeUrl('/bad%zz/path'), '/bad%zz/path');
  });

  it('replaces an operationName that looks like a credential, keeps a real one', () => {
    assert.equal(safeUrl(`/graphql?operationName=${secret}`), `/graphql?operationName=${R}`);
    assert.equal(safeUrl(`/graphql?operationName=${encodeURIComponent(ticket)}`), `/graphql?operationName=${R}`);
    assert.equal(safeUrl('/graphql?operationName=AccountsMe_2'), '/graphql?operationName=AccountsMe_2');
  });

  it('scrubSecrets leaves ordinary header values alone', () => {
    assert.equal(scrubSecrets(`Mozilla/5.0 ${ticket} x`), `Mozilla/5.0 ${R} x`);
    assert.equal(scrubSecrets(`https://${secret}.example`), `https://${R}.example`);
    assert.equal(scrubSecrets('Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0'), 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0');
  });
});

describe('the error serializer', () => {
  it('drops the row data PostgreSQL puts in an error (detail, where)', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const error = Object.assign(new Error('new row violates check constraint'), {
      code: '23514',
      detail: 'Failing row contains (id, a@b.co, $argon2id$v=19$secret-hash)',
      where: 'SQL function',
    });
    logger.error({ err: error }, 'resolver failed');
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /23514/);
    assert.doesNotMatch(lines[0] as string, /argon2id|Failing row|SQL function/);
  });
});
