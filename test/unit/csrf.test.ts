/** The CSRF rule: refuse what a browser could send cross-site without a preflight. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csrfRefusal, getCsrfRefusal, PREFLIGHT_HEADERS } from '../../src/security/csrf.js';

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

describe('getCsrfRefusal (GET: Fetch Metadata resource isolation)', () => {
  const ALLOWED = 'https://app.example.test';
  const allows = (origin: string) => origin === ALLOWED;
  const refused = (headers: Record<string, string>) => getCsrfRefusal(headers, allows);

  it('lets a non-browser client through: neither Sec-Fetch-Site nor Origin', () => {
    assert.equal(refused({}), undefined);
  });

  it('lets a same-origin browser GET and a URL the user typed through', () => {
    assert.equal(refused({ 'sec-fetch-site': 'same-origin' }), undefined);
    assert.equal(refused({ 'sec-fetch-site': 'none' }), undefined);
    assert.equal(refused({ 'sec-fetch-site': 'Same-Origin ' }), undefined);
  });

  it('refuses a cross-site GET without an Origin (a link, an image, a form)', () => {
    assert.match(refused({ 'sec-fetch-site': 'cross-site' }) ?? '', /Cross-Site Request Forgery.*cross-site/);
  });

  it('refuses a same-site GET without an Origin (another subdomain of the site)', () => {
    assert.match(refused({ 'sec-fetch-site': 'same-site' }) ?? '', /same-site/);
  });

  it('refuses a Sec-Fetch-Site value it does not know, without an allowed Origin', () => {
    assert.match(refused({ 'sec-fetch-site': 'sideways' }) ?? '', /Cross-Site Request Forgery/);
    assert.match(refused({ 'sec-fetch-site': '' }) ?? '', /Cross-Site Request Forgery/);
  });

  it('refuses a foreign Origin whatever Sec-Fetch-Site says, and Origin "null"', () => {
    for (const site of [undefined, 'same-origin', 'none', 'same-site', 'cross-site']) {
      const headers: Record<string, string> = { origin: 'https://evil.example' };
      if (site !== undefined) headers['sec-fetch-site'] = site;
      assert.match(refused(headers) ?? '', /origin https:\/\/evil\.example, which is not allowed/, `Sec-Fetch-Site ${site}`);
    }
    assert.match(refused({ origin: 'null', 'sec-fetch-site': 'cross-site' }) ?? '', /not allowed/);
  });

  it('lets a same-site or cross-site CORS GET from an allowed Origin through', () => {
    assert.equal(refused({ origin: ALLOWED, 'sec-fetch-site': 'cross-site' }), undefined);
    assert.equal(refused({ origin: ALLOWED, 'sec-fetch-site': 'same-site' }), undefined);
  });

  it('lets a GET with a preflight header through (a browser must preflight it, and CORS decides)', () => {
    assert.equal(refused({ 'graphql-require-preflight': '1', 'sec-fetch-site': 'cross-site' }), undefined);
    assert.match(refused({ 'graphql-require-preflight': '', 'sec-fetch-site': 'cross-site' }) ?? '', /Cross-Site/);
  });

  it('does not let the POST rule loosen: a content type does not help a cross-site GET', () => {
    assert.match(refused({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }) ?? '', /Cross-Site/);
  });
});
