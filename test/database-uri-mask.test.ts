// A MONGODB_URI's password never reaches a start-up error, in the form written or as the driver decoded it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withoutPassword } from '../src/db/connect.ts';

test('the password is masked as written in the URI and percent-decoded', () => {
  const uri = 'mongodb://insole:p%40ss%2Fw0rd-secret@db.example:27017/insole';
  assert.equal(withoutPassword('auth failed for p%40ss%2Fw0rd-secret', uri), 'auth failed for ***');
  assert.equal(withoutPassword('auth failed for p@ss/w0rd-secret at db.example', uri), 'auth failed for *** at db.example');
  assert.equal(withoutPassword('connect ECONNREFUSED db.example:27017', uri), 'connect ECONNREFUSED db.example:27017');
  // Percent signs that do not decode are masked as written.
  assert.equal(withoutPassword('bad %zz-secret', 'mongodb://u:%zz-secret@h/db'), 'bad ***');
  assert.equal(withoutPassword('no password here', 'mongodb://h/db'), 'no password here');
});
