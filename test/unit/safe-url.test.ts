/** Logged URLs hide every query value but operationName, and anything where a name should be. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, REDACTED, safeUrl } from '../../src/logging/logger.js';

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
