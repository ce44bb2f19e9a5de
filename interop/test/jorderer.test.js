'use strict';
// Fabric's own Node clients against a running jorderer: Broadcast through the SDK's Committer,
// Deliver through grpc-js's AtomicBroadcastClient. Statuses and texts are Fabric v2.4.9's, as
// jorderer's docs/broadcast.md and docs/deliver.md list them. The tests share one orderer and run
// in order: later ones read the blocks the earlier ones made.

const {test, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {
	settings, connectSdk, builtTransaction, signedEnvelope, sdkSeek, handMadeSeek, toPbEnvelope, DeliverClient,
	common,
} = require('../lib/clients');

const config = settings();
const CHANNEL = config.channel;
const NO_CHANNEL = 'nosuchchannel';

let sdk;
let deliver;
let absoluteMaxBytes;
const accepted = new Map(); // tx id -> the write it carries, for envelopes answered SUCCESS
const refused = []; // tx ids of well-formed envelopes answered otherwise

before(async () => {
	console.log(`orderer ${config.address}, channel ${CHANNEL}, identity ${config.mspId} from ${config.mspDir}`);
	sdk = await connectSdk(config);
	deliver = new DeliverClient(config.address);
});

after(() => {
	if (sdk) {
		sdk.committer.disconnect();
	}
	if (deliver) {
		deliver.close();
	}
});

async function height() {
	const {blocks, status} = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: 'newest', endBlock: 'newest'}));
	assert.equal(status, 'SUCCESS');
	assert.equal(blocks.length, 1);
	return blocks[0].number + 1;
}

test('Deliver oldest: the genesis config block, decoded by the SDK, then SUCCESS', async () => {
	const {blocks, status} = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: 'oldest', endBlock: 'oldest'}));
	assert.equal(status, 'SUCCESS');
	assert.equal(blocks.length, 1);
	const genesis = blocks[0];
	assert.equal(genesis.number, 0);
	assert.equal(genesis.previousHash.length, 0);
	assert.deepEqual(genesis.dataHash, genesis.computedDataHash);
	assert.deepEqual(genesis.types, [common.HeaderType.CONFIG]);
	const envelope = genesis.decoded.data.data[0];
	assert.equal(envelope.payload.header.channel_header.channel_id, CHANNEL);
	const ordererValues = envelope.payload.data.config.channel_group.groups.Orderer.values;
	absoluteMaxBytes = Number(ordererValues.BatchSize.value.absolute_max_bytes);
	assert.ok(absoluteMaxBytes > 0, 'BatchSize.AbsoluteMaxBytes is in the decoded config');
});

test('Broadcast: SDK-built transactions get SUCCESS; a Deliver stream waiting past the end receives them', async () => {
	const next = await height();
	const txs = [];
	for (let i = 0; i < 20; i++) {
		txs.push({...await builtTransaction(sdk, CHANNEL, [`key${i}`, `value${i}`]), write: {[`key${i}`]: `value${i}`}});
	}
	const ours = new Map(txs.map((tx) => [tx.txId, tx.write]));
	// The SDK's seek from a block that does not exist yet, with no end: BLOCK_UNTIL_READY.
	const seen = new Set();
	const waiting = deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: next}), {
		onBlock: (block) => block.txIds.forEach((id) => seen.add(id)),
		enough: () => [...ours.keys()].every((id) => seen.has(id)),
		timeoutMs: 30000,
	});
	const send = async ({commit}) => {
		commit.sign(sdk.idContext);
		return commit.send({targets: [sdk.committer]});
	};
	const responses = [];
	for (const tx of txs.slice(0, 10)) { // one after another, as a simple application submits
		responses.push(await send(tx));
	}
	responses.push(...await Promise.all(txs.slice(10).map(send))); // ten at once
	responses.forEach((response, i) => {
		assert.equal(response.status, 'SUCCESS', `tx ${i}: ${JSON.stringify(response)}`);
		assert.equal(response.info, '');
		accepted.set(txs[i].txId, txs[i].write);
	});
	const {blocks, status} = await waiting;
	assert.equal(status, null, 'the stream was still open, waiting for more');
	assert.equal(blocks[0].number, next, 'the first block it got is the one cut after it started waiting');
	for (let i = 1; i < blocks.length; i++) {
		assert.equal(blocks[i].number, blocks[i - 1].number + 1);
		assert.deepEqual(blocks[i].previousHash, blocks[i - 1].headerHash);
	}
	for (const block of blocks) {
		assert.deepEqual(block.dataHash, block.computedDataHash);
		block.txIds.forEach((id, i) => {
			if (ours.has(id)) {
				assert.equal(block.types[i], common.HeaderType.ENDORSER_TRANSACTION);
				assert.deepEqual(block.writes[i], ours.get(id), `the write BlockDecoder found in tx ${id}`);
			}
		});
	}
});

test('Broadcast: a corrupted signature is FORBIDDEN with Fabric\'s Writers policy text', async () => {
	const {commit, payload, txId} = await builtTransaction(sdk, CHANNEL, ['forbidden', 'x']);
	const signature = sdk.idContext.sign(payload);
	signature[signature.length - 1] ^= 0x01;
	commit.sign(signature); // the SDK's hook for a signature made elsewhere
	const response = await commit.send({targets: [sdk.committer]});
	refused.push(txId);
	assert.equal(response.status, 'FORBIDDEN');
	assert.equal(response.info, 'implicit policy evaluation failed - 0 sub-policies were satisfied, '
		+ 'but this policy requires 1 of the \'Writers\' sub-policies to be satisfied: permission denied');
});

test('Broadcast: an unknown channel is BAD_REQUEST (Fabric without a system channel)', async () => {
	const {commit, txId} = await builtTransaction(sdk, NO_CHANNEL, ['nowhere', 'x']);
	commit.sign(sdk.idContext);
	const response = await commit.send({targets: [sdk.committer]});
	refused.push(txId);
	assert.equal(response.status, 'BAD_REQUEST');
	assert.equal(response.info, 'channel creation request not allowed because the orderer system channel is not defined');
});

test('Broadcast: a CONFIG envelope cannot be sent directly (BAD_REQUEST)', async () => {
	const env = signedEnvelope(sdk, {channelName: CHANNEL, type: common.HeaderType.CONFIG, data: Buffer.from('config')});
	const response = await sdk.committer.sendBroadcast({payload: env.payload, signature: env.signature});
	refused.push(env.txId);
	assert.equal(response.status, 'BAD_REQUEST');
	assert.equal(response.info, 'message is of type that cannot be processed directly');
});

test('Broadcast: a payload that does not parse is BAD_REQUEST with Fabric\'s text', async () => {
	const payload = Buffer.from('not a payload');
	const response = await sdk.committer.sendBroadcast({payload, signature: sdk.idContext.sign(payload)});
	assert.equal(response.status, 'BAD_REQUEST');
	assert.match(response.info, /^could not determine channel ID: error unmarshalling Payload: /);
});

test('Broadcast: an envelope over AbsoluteMaxBytes is BAD_REQUEST with both sizes', async () => {
	assert.ok(absoluteMaxBytes, 'read from the genesis block by the first test');
	const env = signedEnvelope(sdk, {channelName: CHANNEL, type: common.HeaderType.ENDORSER_TRANSACTION,
		data: Buffer.alloc(absoluteMaxBytes)});
	const response = await sdk.committer.sendBroadcast({payload: env.payload, signature: env.signature});
	refused.push(env.txId);
	assert.equal(response.status, 'BAD_REQUEST');
	assert.equal(response.info, `message payload is ${env.payload.length + env.signature.length} bytes `
		+ `and exceeds maximum allowed ${absoluteMaxBytes} bytes`);
});

test('Deliver newest and a given block: one block each, then SUCCESS', async () => {
	const h = await height();
	assert.ok(h >= 2, `blocks were cut (height ${h})`);
	const newest = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: 'newest', endBlock: 'newest'}));
	assert.equal(newest.status, 'SUCCESS');
	assert.deepEqual(newest.blocks.map((b) => b.number), [h - 1]);
	const given = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: 1, endBlock: 1}));
	assert.equal(given.status, 'SUCCESS');
	assert.deepEqual(given.blocks.map((b) => b.number), [1]);
	const genesis = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: 0, endBlock: 0}));
	assert.deepEqual(given.blocks[0].previousHash, genesis.blocks[0].headerHash);
});

test('Deliver NOT_FOUND: FAIL_IF_NOT_READY past the end, a start past the end, an unknown channel', async () => {
	const h = await height();
	// The SDK asks FAIL_IF_NOT_READY whenever an end block is given.
	const pastEnd = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: 0, endBlock: h + 2}));
	assert.equal(pastEnd.status, 'NOT_FOUND');
	assert.deepEqual(pastEnd.blocks.map((b) => b.number), Array.from({length: h}, (_, i) => i));
	const openEnded = await deliver.request(handMadeSeek(sdk, CHANNEL,
		{start: h - 1, stop: Number.MAX_SAFE_INTEGER, behavior: 'FAIL_IF_NOT_READY'}));
	assert.equal(openEnded.status, 'NOT_FOUND');
	assert.deepEqual(openEnded.blocks.map((b) => b.number), [h - 1]);
	const startPastEnd = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: h + 5, endBlock: h + 5}));
	assert.equal(startPastEnd.status, 'NOT_FOUND');
	assert.equal(startPastEnd.blocks.length, 0);
	const unknown = await deliver.request(sdkSeek(sdk, NO_CHANNEL, {startBlock: 'oldest', endBlock: 'newest'}));
	assert.equal(unknown.status, 'NOT_FOUND');
	assert.equal(unknown.blocks.length, 0);
});

test('Deliver BAD_REQUEST: a stop before the start', async () => {
	const response = await deliver.request(handMadeSeek(sdk, CHANNEL, {start: 1, stop: 0, behavior: 'BLOCK_UNTIL_READY'}));
	assert.equal(response.status, 'BAD_REQUEST');
	assert.equal(response.blocks.length, 0);
});

test('Deliver FORBIDDEN: a seek whose signature does not verify', async () => {
	const envelope = sdkSeek(sdk, CHANNEL, {startBlock: 'oldest', endBlock: 'oldest'});
	const signature = Buffer.from(envelope.getSignature_asU8());
	signature[signature.length - 1] ^= 0x01;
	const response = await deliver.request(toPbEnvelope({payload: envelope.getPayload_asU8(), signature}));
	assert.equal(response.status, 'FORBIDDEN');
	assert.equal(response.blocks.length, 0);
});

test('The whole chain: every block decodes and chains, every accepted tx is in it exactly once, no refused one', async () => {
	assert.equal(accepted.size, 20, 'the broadcast test ran');
	const {blocks, status} = await deliver.request(sdkSeek(sdk, CHANNEL, {startBlock: 'oldest', endBlock: 'newest'}));
	assert.equal(status, 'SUCCESS');
	const counts = new Map();
	blocks.forEach((block, i) => {
		assert.equal(block.number, i);
		assert.deepEqual(block.dataHash, block.computedDataHash, `block ${i} data hash`);
		if (i > 0) {
			assert.deepEqual(block.previousHash, blocks[i - 1].headerHash, `block ${i} previous hash`);
		}
		block.txIds.forEach((id, j) => {
			counts.set(id, (counts.get(id) || 0) + 1);
			if (accepted.has(id)) {
				assert.deepEqual(block.writes[j], accepted.get(id), `the write BlockDecoder found in tx ${id}`);
			}
		});
	});
	for (const id of accepted.keys()) {
		assert.equal(counts.get(id), 1, `accepted tx ${id}`);
	}
	for (const id of refused) {
		assert.equal(counts.get(id), undefined, `refused tx ${id}`);
	}
	console.log(`${blocks.length} blocks, ${accepted.size} accepted and ${refused.length} refused transactions checked`);
});
