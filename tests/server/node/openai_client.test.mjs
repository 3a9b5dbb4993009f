// The official OpenAI Node.js client against a running `m2vk serve` (started by
// ../openai_client_test.sh): float and base64 encodings, single and array inputs, and an error,
// each compared with `m2vk embed` on the same texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';

const { M2VK_URL, M2VK_BIN, M2VK_MODEL, M2VK_MAX_LENGTH } = process.env;
const client = new OpenAI({ baseURL: `${M2VK_URL}/v1`, apiKey: 'unused', maxRetries: 0 });

// `m2vk embed` on the same device and serving length: one embedding per text.
function cliEmbeddings(texts) {
  const out = execFileSync(M2VK_BIN, ['embed', '--model', M2VK_MODEL, '--device', 'llvmpipe', '--max-length',
    M2VK_MAX_LENGTH, ...texts], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').map((line) => JSON.parse(line).embedding);
}

function assertClose(got, want) {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; ++i) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-6, `channel ${i}: ${got[i]} vs ${want[i]}`);
  }
}

const texts = ['Monarch Mixer embeds long documents.', 'A second, different input text.'];
const want = cliEmbeddings(texts);

test('array input, float encoding', async () => {
  const r = await client.embeddings.create({ model: 'tiny', input: texts, encoding_format: 'float' });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 2);
  r.data.forEach((d, i) => { assert.equal(d.index, i); assertClose(d.embedding, want[i]); });
  assert.ok(r.usage.prompt_tokens > 4);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens);
});

test('single input, the client default (base64, decoded by the client)', async () => {
  const r = await client.embeddings.create({ model: 'tiny', input: texts[1] });
  assert.equal(r.data.length, 1);
  assertClose(r.data[0].embedding, want[1]);
});

test('array input, explicit base64 encoding returns the raw string', async () => {
  const r = await client.embeddings.create({ model: 'tiny', input: texts, encoding_format: 'base64' });
  const bytes = Buffer.from(r.data[0].embedding, 'base64');
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  assertClose(Array.from(floats), want[0]);
});

test('a bad request is an APIError with status 400 naming the field', async () => {
  await assert.rejects(client.embeddings.create({ model: 'tiny', input: '' }), (e) => {
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.error.type, 'invalid_request_error');
    assert.match(e.message, /input/);
    return true;
  });
  await assert.rejects(client.embeddings.create({ model: 'tiny', input: 'x', dimensions: 8 }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.error.param, 'dimensions');
    return true;
  });
});

test('the model list names the served model', async () => {
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  assert.deepEqual(models, ['tiny']);
});
