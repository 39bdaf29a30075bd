// A realistic session of the AWS SDK for JavaScript v3 against a DynamoDB endpoint.
//
//   node dynamodb_sdk_js.mjs <endpoint URL> <directory holding @aws-sdk/client-dynamodb>
//
// Commands, waiters, paginators and modelled exceptions used the way application code uses
// them; every answer is checked. Exits 0 when all checks held, otherwise 1 with the first
// failure on stderr. Credentials come from the environment (AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY), as the SDK's default provider chain reads them.
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import path from 'node:path';

const [endpoint, nodeModules] = process.argv.slice(2);
if (!endpoint || !nodeModules) {
  console.error('usage: node dynamodb_sdk_js.mjs <endpoint URL> <node_modules directory>');
  process.exit(2);
}
const require = createRequire(path.join(nodeModules, 'noop.js'));
const ddb = require('@aws-sdk/client-dynamodb');

const TABLE = 'Events';
// No retries: an error must show up as the error, not be papered over.
const client = new ddb.DynamoDBClient({endpoint, region: 'us-east-1', maxAttempts: 1});
const send = (Command, input) => client.send(new Command(input));

// Runs `call`, which must reject with the modelled exception `Type`; returns the error.
async function expectError(label, Type, call) {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof Type, `${label}: expected ${Type.name}, got ${err.name}: ${err.message}`);
    return err;
  }
  assert.fail(`${label}: expected ${Type.name}, but the call succeeded`);
}

async function tables() {
  await send(ddb.CreateTableCommand, {
    TableName: TABLE,
    AttributeDefinitions: [
      {AttributeName: 'feed', AttributeType: 'S'},
      {AttributeName: 'seq', AttributeType: 'N'},
      {AttributeName: 'kind', AttributeType: 'S'},
    ],
    KeySchema: [
      {AttributeName: 'feed', KeyType: 'HASH'},
      {AttributeName: 'seq', KeyType: 'RANGE'},
    ],
    GlobalSecondaryIndexes: [{
      IndexName: 'byKind',
      KeySchema: [{AttributeName: 'kind', KeyType: 'HASH'}, {AttributeName: 'seq', KeyType: 'RANGE'}],
      Projection: {ProjectionType: 'KEYS_ONLY'},
    }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const waited = await ddb.waitUntilTableExists({client, maxWaitTime: 30, minDelay: 1}, {TableName: TABLE});
  assert.equal(waited.state, 'SUCCESS', 'waitUntilTableExists');
  const {Table} = await send(ddb.DescribeTableCommand, {TableName: TABLE});
  assert.equal(Table.TableStatus, 'ACTIVE');
  assert.equal(Table.GlobalSecondaryIndexes[0].IndexName, 'byKind');
  assert.deepEqual((await send(ddb.ListTablesCommand, {})).TableNames, [TABLE]);
}

async function items() {
  const first = {feed: {S: 's1'}, seq: {N: '1'}, kind: {S: 'created'}, body: {M: {a: {L: [{N: '1'}, {BOOL: true}, {NULL: true}]}}}};
  await send(ddb.PutItemCommand, {TableName: TABLE, Item: first, ConditionExpression: 'attribute_not_exists(feed)'});
  const failed = await expectError('second conditional put', ddb.ConditionalCheckFailedException, () =>
    send(ddb.PutItemCommand, {TableName: TABLE, Item: first, ConditionExpression: 'attribute_not_exists(feed)'}));
  assert.equal(failed.$metadata.httpStatusCode, 400);

  const got = await send(ddb.GetItemCommand, {TableName: TABLE, Key: {feed: {S: 's1'}, seq: {N: '1'}}, ConsistentRead: true});
  assert.deepEqual(got.Item, first, 'GetItem');

  const updated = await send(ddb.UpdateItemCommand, {
    TableName: TABLE,
    Key: {feed: {S: 's1'}, seq: {N: '1'}},
    UpdateExpression: 'SET body.a[0] = body.a[0] + :inc, #k = :k',
    ConditionExpression: '#k = :created',
    ExpressionAttributeNames: {'#k': 'kind'},
    ExpressionAttributeValues: {':inc': {N: '41'}, ':k': {S: 'updated'}, ':created': {S: 'created'}},
    ReturnValues: 'ALL_NEW',
  });
  assert.deepEqual(updated.Attributes.body, {M: {a: {L: [{N: '42'}, {BOOL: true}, {NULL: true}]}}}, 'nested update');
  assert.deepEqual(updated.Attributes.kind, {S: 'updated'});

  const puts = [];
  for (let i = 2; i <= 21; i++) {
    puts.push({PutRequest: {Item: {feed: {S: 's1'}, seq: {N: String(i)}, kind: {S: i % 2 ? 'odd' : 'even'}, payload: {B: Buffer.from([i, 0, 255])}}}});
  }
  for (let i = 0; i < puts.length; i += 10) {
    const r = await send(ddb.BatchWriteItemCommand, {RequestItems: {[TABLE]: puts.slice(i, i + 10)}});
    assert.deepEqual(r.UnprocessedItems ?? {}, {}, 'BatchWriteItem unprocessed');
  }

  const batch = await send(ddb.BatchGetItemCommand, {RequestItems: {[TABLE]: {
    Keys: [{feed: {S: 's1'}, seq: {N: '5'}}, {feed: {S: 's1'}, seq: {N: '99'}}],
    ProjectionExpression: 'seq, payload',
  }}});
  assert.deepEqual(batch.Responses[TABLE], [{seq: {N: '5'}, payload: {B: new Uint8Array([5, 0, 255])}}], 'BatchGetItem');

  // Numbers are compared as numbers in key conditions (10 > 9), not as strings.
  const range = await send(ddb.QueryCommand, {
    TableName: TABLE,
    KeyConditionExpression: 'feed = :s AND seq BETWEEN :lo AND :hi',
    ExpressionAttributeValues: {':s': {S: 's1'}, ':lo': {N: '9'}, ':hi': {N: '12'}},
    ProjectionExpression: 'seq',
  });
  assert.deepEqual(range.Items.map((i) => i.seq.N), ['9', '10', '11', '12'], 'numeric range query');

  const odd = [];
  for await (const page of ddb.paginateQuery({client, pageSize: 3}, {
    TableName: TABLE, IndexName: 'byKind', KeyConditionExpression: 'kind = :k',
    ExpressionAttributeValues: {':k': {S: 'odd'}}, ScanIndexForward: false,
  })) {
    assert.ok(page.Items.length <= 3, 'page size');
    for (const i of page.Items) {
      assert.deepEqual(Object.keys(i).sort(), ['feed', 'kind', 'seq'], 'KEYS_ONLY projection');
      odd.push(Number(i.seq.N));
    }
  }
  assert.deepEqual(odd, [21, 19, 17, 15, 13, 11, 9, 7, 5, 3], 'paginated index query');

  let scanned = 0;
  let pages = 0;
  for await (const page of ddb.paginateScan({client, pageSize: 6}, {TableName: TABLE, Select: 'COUNT'})) {
    scanned += page.Count;
    pages++;
  }
  assert.equal(scanned, 21, 'paginated scan count');
  assert.ok(pages >= 4, `paginated scan pages: ${pages}`);
}

async function transactions() {
  const key = (seq) => ({feed: {S: 's2'}, seq: {N: String(seq)}});
  await send(ddb.TransactWriteItemsCommand, {TransactItems: [
    {Put: {TableName: TABLE, Item: {...key(1), state: {S: 'open'}}, ConditionExpression: 'attribute_not_exists(feed)'}},
    {Put: {TableName: TABLE, Item: {...key(2), state: {S: 'open'}}}},
  ]});
  const cancelled = await expectError('cancelled transaction', ddb.TransactionCanceledException, () =>
    send(ddb.TransactWriteItemsCommand, {TransactItems: [
      {Update: {TableName: TABLE, Key: key(1), UpdateExpression: 'SET #s = :closed',
                ExpressionAttributeNames: {'#s': 'state'}, ExpressionAttributeValues: {':closed': {S: 'closed'}}}},
      {ConditionCheck: {TableName: TABLE, Key: key(2), ConditionExpression: '#s = :closed',
                        ExpressionAttributeNames: {'#s': 'state'}, ExpressionAttributeValues: {':closed': {S: 'closed'}}}},
      {Delete: {TableName: TABLE, Key: key(3)}},
    ]}));
  assert.deepEqual(cancelled.CancellationReasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed', 'None'],
    'CancellationReasons');
  const read = await send(ddb.TransactGetItemsCommand, {TransactItems: [
    {Get: {TableName: TABLE, Key: key(1)}}, {Get: {TableName: TABLE, Key: key(2)}},
  ]});
  assert.deepEqual(read.Responses.map((r) => r.Item.state.S), ['open', 'open'], 'nothing of the cancelled transaction');

  await expectError('two actions on one item', ddb.DynamoDBServiceException, () =>
    send(ddb.TransactWriteItemsCommand, {TransactItems: [
      {Put: {TableName: TABLE, Item: key(1)}}, {Delete: {TableName: TABLE, Key: key(1)}},
    ]})).then((err) => assert.equal(err.name, 'ValidationException', err.message));
}

async function errorsAndTeardown() {
  await expectError('missing table', ddb.ResourceNotFoundException, () =>
    send(ddb.GetItemCommand, {TableName: 'Missing', Key: {feed: {S: 'x'}, seq: {N: '1'}}}));

  const deleted = await send(ddb.DeleteItemCommand, {TableName: TABLE, Key: {feed: {S: 's1'}, seq: {N: '1'}}, ReturnValues: 'ALL_OLD'});
  assert.equal(deleted.Attributes.kind.S, 'updated', 'DeleteItem ALL_OLD');

  await send(ddb.UpdateTimeToLiveCommand, {TableName: TABLE, TimeToLiveSpecification: {Enabled: true, AttributeName: 'ttl'}});
  const ttl = await send(ddb.DescribeTimeToLiveCommand, {TableName: TABLE});
  assert.deepEqual(ttl.TimeToLiveDescription, {TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl'});

  const wrongSecret = new ddb.DynamoDBClient({endpoint, region: 'us-east-1', maxAttempts: 1,
    credentials: {accessKeyId: 'test', secretAccessKey: 'wrong'}});
  try {
    await wrongSecret.send(new ddb.ListTablesCommand({}));
    assert.fail('a wrong secret was accepted');
  } catch (err) {
    assert.equal(err.name, 'InvalidSignatureException', err.message);
  }

  await send(ddb.DeleteTableCommand, {TableName: TABLE});
  const gone = await ddb.waitUntilTableNotExists({client, maxWaitTime: 30, minDelay: 1}, {TableName: TABLE});
  assert.equal(gone.state, 'SUCCESS', 'waitUntilTableNotExists');
  assert.deepEqual((await send(ddb.ListTablesCommand, {})).TableNames, []);
}

try {
  await tables();
  await items();
  await transactions();
  await errorsAndTeardown();
  console.log('ok');
} catch (err) {
  console.error(`FAILED ${err.name}: ${err.message}`);
  if (err.stack) console.error(err.stack);
  process.exit(1);
}
