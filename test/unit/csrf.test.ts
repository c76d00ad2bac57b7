/** The CSRF rule: refuse what a browser could send cross-site without a preflight. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csrfRefusal, PREFLIGHT_HEADERS } from '../../src/security/csrf.js';

describe('csrfRefusal', () => {
  it('refuses a request with no content type and no preflight header (a plain GET or form)', () => {
    assert.equal(typeof csrfRefusal({}), 'string');
    assert.equal(typeof csrfRefusal({ 'content-type': '' }), 'string');
  });

  for (const type of ['text/plain', 'TEXT/PLAIN; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ' text/plain ']) {
    it(`refuses the simple content type "${type}"`, () => {
      assert.match(csrfRefusal({ 'content-type': type }) ?? '', /Cross-Site Request Forgery/);
    });
  }

  for (const type of ['application/json', 'application/json; charset=utf-8', 'application/graphql-response+json']) {
    it(`lets "${type}" through: a browser must preflight it`, () => {
      assert.equal(csrfRefusal({ 'content-type': type }), undefined);
    });
  }

  for (const header of PREFLIGHT_HEADERS) {
    it(`lets a request with a non-empty ${header} header through`, () => {
      assert.equal(csrfRefusal({ [header]: '1' }), undefined);
      assert.equal(csrfRefusal({ [header]: '1', 'content-type': 'text/plain' }), undefined);
      assert.equal(typeof csrfRefusal({ [header]: '' }), 'string', 'an empty value does not count');
    });
  }

  it('names graphql-require-preflight among the preflight headers', () => {
    assert.ok((PREFLIGHT_HEADERS as readonly string[]).includes('graphql-require-preflight'));
  });
});
