import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withBothHomePageForms } from '../src/config/post-logout-uris.ts';
import { clientSchema } from '../src/config/schema.ts';

describe('post-logout redirect URIs: a home page is registered in both spellings, everything else as given', () => {
  test('a home page gets its other spelling after the ones given; the first stays first', () => {
    assert.deepEqual(withBothHomePageForms(['http://localhost:4000/']), ['http://localhost:4000/', 'http://localhost:4000']);
    assert.deepEqual(withBothHomePageForms(['https://shop.example']), ['https://shop.example', 'https://shop.example/']);
    assert.deepEqual(withBothHomePageForms(['https://shop.example/bye', 'https://shop.example:8443/']), ['https://shop.example/bye', 'https://shop.example:8443/', 'https://shop.example:8443']);
  });

  test('both spellings given, or given twice: nothing added', () => {
    assert.deepEqual(withBothHomePageForms(['https://shop.example/', 'https://shop.example']), ['https://shop.example/', 'https://shop.example']);
    assert.deepEqual(withBothHomePageForms(withBothHomePageForms(['https://shop.example/'])), ['https://shop.example/', 'https://shop.example']);
  });

  const keptAsGiven = [
    'https://shop.example/bye/', // only an empty path is "/": other paths are exact
    'https://shop.example/bye',
    'https://shop.example/?from=logout',
    'https://shop.example?',
    'https://shop.example#',
    'https://evil.example@shop.example/',
    'myapp://callback/', // http and https only
  ];
  for (const uri of keptAsGiven) {
    test(`${uri} is registered as given, alone`, () => {
      assert.deepEqual(withBothHomePageForms([uri]), [uri]);
    });
  }

  test('a client, from a config file or the CLI (one schema), is registered with both spellings of its home page', () => {
    const client = clientSchema.parse({ client_id: 'shop', redirect_uris: ['https://shop.example/callback'], post_logout_redirect_uris: ['https://shop.example'] });
    assert.deepEqual(client.post_logout_redirect_uris, ['https://shop.example', 'https://shop.example/']);
  });
});
