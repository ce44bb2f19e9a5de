'use strict';
// The third-party clients the suite drives, set up as an application would set them up:
// Fabric's Node SDK (fabric-common) for identity, signing and Broadcast, and the grpc-js
// AtomicBroadcastClient of @hyperledger/fabric-protos for Deliver (the SDK's EventService
// only talks to peers). Nothing here knows how jorderer is built.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const {common, ledger, orderer, peer} = require('@hyperledger/fabric-protos');
const {Client, User, BlockDecoder} = require('fabric-common');

const CHAINCODE = 'interopcc';

/** Where the orderer is and who we are, from the environment (defaults: `bin/jorderer start` in the repo). */
function settings() {
	const repo = path.resolve(__dirname, '..', '..');
	return {
		address: process.env.JORDERER_ADDRESS || '127.0.0.1:7050',
		channel: process.env.JORDERER_CHANNEL || 'demo',
		mspDir: process.env.JORDERER_MSP_DIR || path.join(repo, 'data', 'admin-msp'),
		mspId: process.env.JORDERER_MSP_ID || 'JordererMSP',
	};
}

function firstFile(dir) {
	const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
	if (names.length === 0) {
		throw new Error(`${dir} is empty`);
	}
	return fs.readFileSync(path.join(dir, names[0]), 'utf8');
}

/** An MSP folder (signcerts/ + keystore/) loaded the way SDK applications load a wallet identity. */
function loadUser(mspDir, mspId) {
	const cert = firstFile(path.join(mspDir, 'signcerts'));
	const key = firstFile(path.join(mspDir, 'keystore'));
	return User.createUser('interop-admin', null, mspId, cert, key);
}

/**
 * Stands in for the endorsing peers an application would ask through the SDK's handler hook
 * (Proposal.send({handler})). The orderer never looks inside an endorsement — Fabric's orderer
 * checks only the envelope's creator and signature against /Channel/Writers
 * (orderer/common/msgprocessor/standardchannel.go, ProcessNormalMsg) — so one signed, successful
 * response per proposal is all the SDK needs to build the transaction as it would for a network.
 */
function endorsingStandIn(idContext) {
	return {
		async endorse(signedProposal) {
			// "Simulate" put(key, value): the write set a chaincode would have produced.
			const proposal = peer.Proposal.deserializeBinary(signedProposal.proposal_bytes);
			const invocation = peer.ChaincodeInvocationSpec.deserializeBinary(
				peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8()).getInput_asU8());
			const [, key, value] = invocation.getChaincodeSpec().getInput().getArgsList_asU8();
			const write = new ledger.rwset.kvrwset.KVWrite();
			write.setKey(Buffer.from(key).toString('utf8'));
			write.setValue(value);
			const kvSet = new ledger.rwset.kvrwset.KVRWSet();
			kvSet.addWrites(write);
			const nsSet = new ledger.rwset.NsReadWriteSet();
			nsSet.setNamespace(CHAINCODE);
			nsSet.setRwset(kvSet.serializeBinary());
			const txSet = new ledger.rwset.TxReadWriteSet();
			txSet.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
			txSet.addNsRwset(nsSet);

			const chaincodeAction = new peer.ChaincodeAction();
			chaincodeAction.setResults(txSet.serializeBinary());
			const response = new peer.Response();
			response.setStatus(200);
			chaincodeAction.setResponse(response);
			const chaincodeId = new peer.ChaincodeID();
			chaincodeId.setName(CHAINCODE);
			chaincodeAction.setChaincodeId(chaincodeId);
			const responsePayload = new peer.ProposalResponsePayload();
			responsePayload.setProposalHash(crypto.createHash('sha256').update(signedProposal.proposal_bytes).digest());
			responsePayload.setExtension$(chaincodeAction.serializeBinary());
			const payload = Buffer.from(responsePayload.serializeBinary());
			const endorser = idContext.serializeIdentity();
			return [{
				version: 1,
				response: {status: 200, message: 'OK', payload: Buffer.alloc(0)},
				payload,
				endorsement: {endorser, signature: idContext.sign(Buffer.concat([payload, endorser]))},
			}];
		},
	};
}

/** The SDK objects for one orderer: a client, a connected Committer, channels on demand. */
async function connectSdk({address, mspDir, mspId}) {
	const client = new Client('jorderer-interop');
	const user = loadUser(mspDir, mspId);
	const idContext = client.newIdentityContext(user);
	const endpoint = client.newEndpoint({url: `grpc://${address}`, requestTimeout: 20000});
	const committer = client.newCommitter('jorderer', mspId);
	await committer.connect(endpoint);
	const channels = new Map();
	const channel = (name) => {
		if (!channels.has(name)) {
			const c = client.newChannel(name);
			c.addCommitter(committer);
			channels.set(name, c);
		}
		return channels.get(name);
	};
	return {client, user, idContext, committer, channel, endorsing: endorsingStandIn(idContext)};
}

/** The SDK's path for one put(key, value) invocation, up to the built transaction (not yet signed). */
async function builtTransaction(sdk, channelName, [key, value]) {
	const endorsement = sdk.channel(channelName).newEndorsement(CHAINCODE);
	endorsement.build(sdk.idContext, {fcn: 'put', args: [key, value]});
	endorsement.sign(sdk.idContext);
	const result = await endorsement.send({handler: sdk.endorsing});
	if (result.errors.length > 0) {
		throw result.errors[0];
	}
	const commit = endorsement.newCommit();
	const payload = commit.build(sdk.idContext); // the bytes the application signs
	return {commit, payload, txId: endorsement.getTransactionId()};
}

/** A payload with the SDK's channel and signature headers, any type and data, signed by the SDK. */
function signedEnvelope(sdk, {channelName, type, data}) {
	const channel = sdk.channel(channelName);
	const idContext = sdk.idContext.calculateTransactionId();
	const channelHeader = channel.buildChannelHeader(type, '', idContext.transactionId);
	const eventService = channel.newEventService('header-builder');
	const header = eventService.buildHeader(idContext, channelHeader); // the SDK's signature header
	const pbHeader = new common.Header();
	pbHeader.setChannelHeader(header.channel_header);
	pbHeader.setSignatureHeader(header.signature_header);
	const payload = new common.Payload();
	payload.setHeader(pbHeader);
	payload.setData(data);
	const payloadBytes = Buffer.from(payload.serializeBinary());
	return {payload: payloadBytes, signature: idContext.sign(payloadBytes), txId: idContext.transactionId};
}

/** A DELIVER_SEEK_INFO envelope as the SDK's EventService builds and signs it. */
function sdkSeek(sdk, channelName, {startBlock, endBlock}) {
	const eventService = sdk.channel(channelName).newEventService('seek-builder');
	eventService.build(sdk.idContext, {startBlock, endBlock, blockType: 'full'});
	eventService.sign(sdk.idContext);
	return toPbEnvelope(eventService.getSignedEnvelope());
}

function seekPosition(position) {
	const p = new orderer.SeekPosition();
	if (position === 'oldest') {
		p.setOldest(new orderer.SeekOldest());
	} else if (position === 'newest') {
		p.setNewest(new orderer.SeekNewest());
	} else {
		const s = new orderer.SeekSpecified();
		s.setNumber(position);
		p.setSpecified(s);
	}
	return p;
}

/**
 * A SeekInfo the SDK's EventService refuses to build (stop before start, FAIL_IF_NOT_READY with an
 * open end), with the SDK's headers and signature around it.
 */
function handMadeSeek(sdk, channelName, {start, stop, behavior}) {
	const seekInfo = new orderer.SeekInfo();
	seekInfo.setStart(seekPosition(start));
	seekInfo.setStop(seekPosition(stop));
	seekInfo.setBehavior(behavior === 'FAIL_IF_NOT_READY'
		? orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY : orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
	const env = signedEnvelope(sdk, {channelName, type: common.HeaderType.DELIVER_SEEK_INFO,
		data: seekInfo.serializeBinary()});
	return toPbEnvelope(env);
}

function toPbEnvelope({payload, signature}) {
	const env = new common.Envelope();
	env.setPayload(payload);
	env.setSignature(signature);
	return env;
}

const STATUS_NAMES = Object.fromEntries(Object.entries(common.Status).map(([k, v]) => [v, k]));

/** Deliver over grpc-js: one stream per request, blocks collected until its status or a predicate. */
class DeliverClient {
	constructor(address) {
		this.client = new orderer.AtomicBroadcastClient(address, grpc.credentials.createInsecure(),
			{'grpc.max_receive_message_length': -1});
	}

	/**
	 * Sends one request and resolves with {blocks, status} when the status arrives, or when
	 * `enough(blocks)` holds (status null, stream cancelled); rejects after `timeoutMs`.
	 */
	request(envelope, {enough = null, timeoutMs = 20000, onBlock = null} = {}) {
		return new Promise((resolve, reject) => {
			const blocks = [];
			const stream = this.client.deliver();
			let done = false;
			const finish = (err, value) => {
				if (done) {
					return;
				}
				done = true;
				clearTimeout(timer);
				stream.cancel();
				err ? reject(err) : resolve(value);
			};
			const timer = setTimeout(() => finish(new Error(
				`no status after ${timeoutMs} ms; ${blocks.length} block(s) received`)), timeoutMs);
			stream.on('data', (response) => {
				if (response.hasBlock()) {
					const block = received(response.getBlock());
					blocks.push(block);
					if (onBlock) {
						onBlock(block);
					}
					if (enough && enough(blocks)) {
						finish(null, {blocks, status: null});
					}
				} else {
					finish(null, {blocks, status: STATUS_NAMES[response.getStatus()]});
				}
			});
			stream.on('error', (err) => {
				if (err.code !== grpc.status.CANCELLED) {
					finish(err);
				}
			});
			stream.on('end', () => finish(new Error(`stream ended without a status after ${blocks.length} block(s)`)));
			stream.write(envelope);
		});
	}

	close() {
		this.client.close();
	}
}

/** A block as received: the SDK's BlockDecoder view, plus the raw fields to check its hashes. */
function received(pbBlock) {
	const decoded = BlockDecoder.decode(Buffer.from(pbBlock.serializeBinary()));
	const header = pbBlock.getHeader();
	return {
		decoded,
		number: Number(decoded.header.number.toString()),
		previousHash: Buffer.from(header.getPreviousHash_asU8()),
		dataHash: Buffer.from(header.getDataHash_asU8()),
		headerHash: blockHeaderHash(Number(decoded.header.number.toString()), header.getPreviousHash_asU8(),
			header.getDataHash_asU8()),
		computedDataHash: crypto.createHash('sha256')
			.update(Buffer.concat(pbBlock.getData().getDataList_asU8().map((d) => Buffer.from(d)))).digest(),
		txIds: decoded.data.data.map((env) => env.payload.header.channel_header.tx_id),
		writes: decoded.data.data.map(decodedWrites),
		types: decoded.data.data.map((env) => env.payload.header.channel_header.type),
	};
}

/** The key/value writes BlockDecoder found in an endorser transaction, as {key: value}; null for other types. */
function decodedWrites(envelope) {
	if (envelope.payload.header.channel_header.type !== common.HeaderType.ENDORSER_TRANSACTION) {
		return null;
	}
	const writes = {};
	for (const action of envelope.payload.data.actions) {
		const results = action.payload.action.proposal_response_payload.extension.results;
		for (const ns of (results && results.ns_rwset) || []) { // other clients' transactions may carry none
			for (const write of ns.rwset.writes) {
				writes[write.key] = Buffer.from(write.value).toString('utf8');
			}
		}
	}
	return writes;
}

// Fabric's block header hash (protoutil.BlockHeaderHash): SHA-256 over the DER encoding of
// SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }.
function derLength(n) {
	if (n < 0x80) {
		return Buffer.from([n]);
	}
	const bytes = [];
	for (let v = n; v > 0; v = Math.floor(v / 256)) {
		bytes.unshift(v & 0xff);
	}
	return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag, content) {
	return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

function derInteger(value) {
	let hex = BigInt(value).toString(16);
	if (hex.length % 2) {
		hex = '0' + hex;
	}
	let bytes = Buffer.from(hex, 'hex');
	if (bytes[0] & 0x80) {
		bytes = Buffer.concat([Buffer.from([0]), bytes]);
	}
	return der(0x02, bytes);
}

function blockHeaderHash(number, previousHash, dataHash) {
	const body = Buffer.concat([derInteger(number), der(0x04, Buffer.from(previousHash)), der(0x04, Buffer.from(dataHash))]);
	return crypto.createHash('sha256').update(der(0x30, body)).digest();
}

module.exports = {
	settings, connectSdk, builtTransaction, signedEnvelope, sdkSeek, handMadeSeek, toPbEnvelope, DeliverClient,
	common,
};
