/** The validation rule allowing one accountsRegister/accountsLogin per operation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, specifiedRules, validate } from 'graphql';
import { createSchema } from '../../src/graphql/schema.js';
import { oneSignInPerOperation } from '../../src/graphql/one-sign-in-rule.js';

const schema = createSchema();
const errorsOf = (source: string) => validate(schema, parse(source), [...specifiedRules, oneSignInPerOperation]).map((e) => e.message);
const LOGIN = 'accountsLogin(email: "a@b.co", password: "p") { id }';
const REGISTER = 'accountsRegister(email: "a@b.co", password: "p") { id }';

describe('oneSignInPerOperation', () => {
  it('allows one sign-in, or one registration, with other fields', () => {
    assert.deepEqual(errorsOf(`mutation { ${LOGIN} }`), []);
    assert.deepEqual(errorsOf(`mutation { x: ${REGISTER} accountsLogout }`), []);
    // Two operations each with one: a request runs one of them.
    assert.deepEqual(errorsOf(`mutation A { ${LOGIN} } mutation B { ${REGISTER} }`), []);
    // The same response key twice is merged by graphql-js and runs once.
    assert.deepEqual(errorsOf(`mutation { ${LOGIN} ... on Mutation { ${LOGIN} } }`), []);
  });

  for (const [name, source] of [
    ['aliases', `mutation { a: ${LOGIN} b: ${LOGIN} }`],
    ['a login and a registration', `mutation { ${LOGIN} ${REGISTER} }`],
    ['an inline fragment', `mutation { a: ${LOGIN} ... on Mutation { b: ${LOGIN} } }`],
    ['fragment spreads', `mutation { ...F ...G } fragment F on Mutation { f: ${REGISTER} } fragment G on Mutation { g: ${REGISTER} }`],
    ['60 aliases', `mutation { ${Array.from({ length: 60 }, (_, i) => `r${i}: ${REGISTER}`).join(' ')} }`],
  ] as const) {
    it(`refuses more than one through ${name}, naming the limit`, () => {
      const errors = errorsOf(source);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(errors[0] as string, /^An operation may register or sign in at most 1 time; this one has \d+ accountsRegister\/accountsLogin fields\.$/);
    });
  }
});
