/** The account input rules: each refusal is BAD_USER_INPUT naming its field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEmail, checkName, checkPassword, normalizeEmail } from '../../src/accounts/input-rules.js';
import { ClientError } from '../../src/graphql/errors.js';

function refusedField(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ClientError);
    assert.equal(error.extensions['code'], 'BAD_USER_INPUT');
    return error.extensions['field'];
  }
  assert.fail('accepted');
}

describe('input rules', () => {
  it('normalizes an email by trimming and lower-casing it', () => {
    assert.equal(normalizeEmail('  Ada@Example.COM '), 'ada@example.com');
  });

  it('accepts ordinary emails, trimmed, with their letter case kept', () => {
    assert.equal(checkEmail(' Ada.Lovelace+x@Example.co.uk '), 'Ada.Lovelace+x@Example.co.uk');
  });

  for (const email of ['nul\u0000@example.com', 'tab\t@example.com', 'del\u007f@example.com', '', 'plain', 'a@b', '@example.com', 'a@example.', 'a b@example.com', 'a@@example.com', `${'a'.repeat(250)}@example.com`]) {
    it(`refuses the email ${JSON.stringify(email.slice(0, 30))} naming the field`, () => {
      assert.equal(refusedField(() => checkEmail(email)), 'email');
    });
  }

  it('accepts passwords of 8 to 1024 characters, counted as code points', () => {
    assert.equal(checkPassword('12345678'), '12345678');
    assert.equal(checkPassword('p'.repeat(1024)).length, 1024);
    assert.equal(checkPassword('🔑'.repeat(8)), '🔑'.repeat(8));
  });

  it('refuses passwords under 8 or over 1024 characters, naming the given field', () => {
    assert.equal(refusedField(() => checkPassword('1234567')), 'password');
    assert.equal(refusedField(() => checkPassword('🔑'.repeat(7))), 'password');
    assert.equal(refusedField(() => checkPassword('p'.repeat(1025))), 'password');
    assert.equal(refusedField(() => checkPassword('short', 'newPassword')), 'newPassword');
  });

  it('trims names, makes blank ones null, and refuses over 200 characters', () => {
    assert.equal(checkName('  Ada  '), 'Ada');
    assert.equal(checkName('   '), null);
    assert.equal(checkName(null), null);
    assert.equal(checkName(undefined), null);
    assert.equal(refusedField(() => checkName('n'.repeat(201))), 'name');
    assert.equal(refusedField(() => checkName('Ada\u0000')), 'name');
    assert.equal(refusedField(() => checkName('Ada\nLovelace')), 'name');
  });
});
