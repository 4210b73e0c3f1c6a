// CosmJS from npm against a Leasehold dev node started by this test, over the CometBFT JSON-RPC
// (HTTP + websocket) — with CosmJS's stock clients only. The one exception is the market call,
// which goes through the MarketClient generated from schema/ by @cosmwasm/ts-codegen
// (clients/ts/src, compiled by `make ts-clients`). It lives here, not in tests/, because tests/* are
// Cargo workspace members.
//
// Run: `make cosmjs-test` (or scripts/cosmjs-test.sh). Environment: LEASEHOLDD (node binary,
// default target/debug/leaseholdd), LEASEHOLD_ARTIFACTS (default artifacts/).
// Every step prints a line, so a CI log shows where it stopped; the node's log is printed when
// the test fails. Durations are reported, never asserted.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

const ROOT = path.resolve(__dirname, '..', '..', '..');
// CosmJS is installed in tools/ by `make tools` (npm ci --prefix tools).
const toolsRequire = createRequire(path.join(ROOT, 'tools', 'package.json'));
const { StargateClient, GasPrice } = toolsRequire('@cosmjs/stargate');
const { CosmWasmClient, SigningCosmWasmClient } = toolsRequire('@cosmjs/cosmwasm-stargate');
const { DirectSecp256k1HdWallet, decodeTxRaw } = toolsRequire('@cosmjs/proto-signing');
const { Comet38Client, WebsocketClient, connectComet } = toolsRequire('@cosmjs/tendermint-rpc');
// The generated client (clients/ts/src/Market.client.ts, compiled to clients/ts/dist/).
const { MarketClient } = require(path.join(ROOT, 'clients', 'ts', 'dist', 'src', 'Market.client.js'));

const LEASEHOLDD = process.env.LEASEHOLDD || path.join(ROOT, 'target', 'debug', 'leaseholdd');
const ARTIFACTS = process.env.LEASEHOLD_ARTIFACTS || path.join(ROOT, 'artifacts');
const CHAIN_ID = 'leasehold-dev-1';
const PREFIX = 'lease';
const GAS_PRICE = GasPrice.fromString('0.025ulease');
// CosmJS polls for inclusion every 3 s by default; the test node makes a block every 200 ms.
const SIGNING_OPTIONS = { gasPrice: GAS_PRICE, broadcastPollIntervalMs: 250, broadcastTimeoutMs: 60_000 };
// Bounds for waiting on the node, so a hang fails the test instead of the CI job (not timing checks).
const NODE_READY_TIMEOUT_MS = 120_000;
const EVENT_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Progress and timings

const timings = [];

async function step(name, fn) {
  process.stdout.write(`==> ${name}\n`);
  const start = process.hrtime.bigint();
  try {
    const detail = await fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    timings.push({ name, ms });
    process.stdout.write(`    ok (${ms.toFixed(0)} ms)${detail ? `: ${detail}` : ''}\n`);
  } catch (err) {
    process.stdout.write(`    FAILED: ${name}: ${err && err.stack ? err.stack : err}\n`);
    throw err;
  }
}

function printTimings() {
  if (timings.length === 0) return;
  const width = Math.max(...timings.map((t) => t.name.length));
  process.stdout.write('\nCosmJS journey timings:\n');
  for (const t of timings) process.stdout.write(`  ${t.name.padEnd(width)}  ${t.ms.toFixed(0).padStart(7)} ms\n`);
  const total = timings.reduce((s, t) => s + t.ms, 0);
  process.stdout.write(`  ${'total'.padEnd(width)}  ${total.toFixed(0).padStart(7)} ms\n`);
}

// ---------------------------------------------------------------------------------------------
// The dev node

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Parses `leaseholdd accounts`: "  <name> <address>" then "  mnemonic: <words>". */
function devAccounts() {
  const out = execFileSync(LEASEHOLDD, ['accounts'], { encoding: 'utf8' });
  const accounts = {};
  let current = null;
  for (const line of out.split('\n')) {
    const acct = /^\s+(\S+)\s+(lease1[0-9a-z]+)\s*$/.exec(line);
    const mnem = /^\s+mnemonic:\s+(.+?)\s*$/.exec(line);
    if (acct) current = accounts[acct[1]] = { name: acct[1], address: acct[2] };
    else if (mnem && current) current.mnemonic = mnem[1];
  }
  for (const name of ['admin', 'tenant']) {
    assert.ok(accounts[name] && accounts[name].mnemonic, `leaseholdd accounts lists ${name} with a mnemonic:\n${out}`);
  }
  return accounts;
}

class DevNode {
  constructor() {
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), 'leasehold-cosmjs-'));
    this.log = [];
    this.child = null;
    this.exited = null;
  }

  async start() {
    const init = spawnSyncLogged(LEASEHOLDD, ['init', '--home', this.home, '--artifacts', ARTIFACTS]);
    this.log.push(init);
    this.grpcPort = await freePort();
    this.rpcPort = await freePort();
    this.rpc = `http://127.0.0.1:${this.rpcPort}`;
    this.ws = `ws://127.0.0.1:${this.rpcPort}`;
    const args = ['start', '--dev', '--home', this.home,
      '--grpc-address', `127.0.0.1:${this.grpcPort}`, '--rpc-address', `127.0.0.1:${this.rpcPort}`,
      '--block-interval-ms', '200'];
    this.log.push(`$ ${LEASEHOLDD} ${args.join(' ')}`);
    this.child = spawn(LEASEHOLDD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => this.log.push(chunk.toString().replace(/\n$/, ''));
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    this.exitedPromise = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      resolve(this.exited);
    }));
    // Ready when `status` answers with a height of at least 1.
    const deadline = Date.now() + NODE_READY_TIMEOUT_MS;
    for (;;) {
      if (this.exited) throw new Error(`leaseholdd exited early (${JSON.stringify(this.exited)})`);
      try {
        const res = await fetch(this.rpc, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'status', params: {} }),
        });
        const body = await res.json();
        if (Number(body?.result?.sync_info?.latest_block_height) >= 1) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`leaseholdd RPC ${this.rpc} not ready after ${NODE_READY_TIMEOUT_MS} ms`);
      await sleep(100);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited; removes the home. Safe to call twice. */
  async stop() {
    if (this.child && !this.exited) {
      this.child.kill('SIGTERM');
      const killed = await Promise.race([this.exitedPromise, sleep(15_000).then(() => null)]);
      if (!killed && !this.exited) {
        this.child.kill('SIGKILL');
        await this.exitedPromise;
      }
    }
    fs.rmSync(this.home, { recursive: true, force: true });
  }

  /** Last-resort cleanup when the test process itself exits. */
  killNow() {
    if (this.child && !this.exited) this.child.kill('SIGKILL');
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

function spawnSyncLogged(cmd, args) {
  try {
    return `$ ${cmd} ${args.join(' ')}\n` + execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout || ''}${err.stderr || ''}`);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const README_RPC = 'http://127.0.0.1:26657';

/** The first ```js block of docs/clients.md's "Using CosmJS" section. */
function readmeSnippet() {
  const readme = fs.readFileSync(path.join(ROOT, 'docs', 'clients.md'), 'utf8');
  const section = readme.split(/^## Using CosmJS$/m)[1];
  assert.ok(section, 'docs/clients.md has a "## Using CosmJS" section');
  const block = /^```js\n([\s\S]*?)^```$/m.exec(section.split(/^## /m)[0]);
  assert.ok(block, 'the "Using CosmJS" section has a ```js block');
  return block[1];
}

/** Runs `node file`; resolves with stdout, rejects with the output on a non-zero exit. */
function runNode(file, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve(out)
      : reject(new Error(`node ${file} exited with ${code ?? signal}:\n${out}${err}`))));
  });
}

/** Whether some event of `type` carries every attribute of `attrs`. */
function hasEvent(events, type, attrs) {
  return events.some((e) => e.type === type
    && Object.entries(attrs).every(([k, v]) => e.attributes.some((a) => a.key === k && a.value === v)));
}

function attr(events, type, key) {
  const ev = events.find((e) => e.type === type && e.attributes.some((a) => a.key === key));
  return ev ? ev.attributes.find((a) => a.key === key).value : undefined;
}

/** The single fee coin of an indexed tx, decoded from its bytes. */
function feeOf(indexedTx) {
  assert.ok(indexedTx, 'getTx finds the tx');
  const coins = decodeTxRaw(indexedTx.tx).authInfo.fee.amount;
  assert.equal(coins.length, 1, `one fee coin: ${JSON.stringify(coins)}`);
  return { denom: coins[0].denom, amount: BigInt(coins[0].amount) };
}

function amountOf(coins, denom) {
  const c = coins.find((x) => x.denom === denom);
  return BigInt(c ? c.amount : 0);
}

// ---------------------------------------------------------------------------------------------
// The journey

test('CosmJS journey against a leaseholdd dev node', { timeout: 600_000 }, async () => {
  assert.ok(fs.existsSync(LEASEHOLDD), `${LEASEHOLDD} missing: cargo build -p leasehold-node --bin leaseholdd`);
  assert.ok(fs.existsSync(path.join(ARTIFACTS, 'provider.wasm')), `${ARTIFACTS}/provider.wasm missing: make wasm`);

  const node = new DevNode();
  // If the test process is stopped, the node must not outlive it.
  const onExit = () => node.killNow();
  const onSignal = (sig) => { node.killNow(); process.exit(sig === 'SIGINT' ? 130 : 143); };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const clients = [];
  let failed = false;
  try {
    const accounts = devAccounts();
    const admin = accounts.admin;
    const tenant = accounts.tenant;
    const ctx = {};

    await step('start a dev node (init + start --dev, 200 ms blocks)', async () => {
      await node.start();
      return `RPC ${node.rpc}, gRPC 127.0.0.1:${node.grpcPort}, home ${node.home}`;
    });

    await step('connect: CometBFT 0.38 detected, chain id, height', async () => {
      const comet = await connectComet(node.rpc);
      clients.push(comet);
      assert.ok(comet instanceof Comet38Client, `connectComet picked ${comet.constructor.name}, want Comet38Client`);
      ctx.query = await StargateClient.connect(node.rpc);
      ctx.wasm = await CosmWasmClient.connect(node.rpc);
      clients.push(ctx.query, ctx.wasm);
      assert.equal(await ctx.query.getChainId(), CHAIN_ID);
      const height = await ctx.query.getHeight();
      assert.ok(height >= 1, `height ${height}`);
      return `chain ${CHAIN_ID}, height ${height}`;
    });

    await step('wallets from the dev mnemonics derive the dev addresses', async () => {
      ctx.adminWallet = await DirectSecp256k1HdWallet.fromMnemonic(admin.mnemonic, { prefix: PREFIX });
      ctx.tenantWallet = await DirectSecp256k1HdWallet.fromMnemonic(tenant.mnemonic, { prefix: PREFIX });
      assert.equal((await ctx.adminWallet.getAccounts())[0].address, admin.address);
      assert.equal((await ctx.tenantWallet.getAccounts())[0].address, tenant.address);
      ctx.tenantSigner = await SigningCosmWasmClient.connectWithSigner(node.rpc, ctx.tenantWallet, SIGNING_OPTIONS);
      ctx.adminSigner = await SigningCosmWasmClient.connectWithSigner(node.rpc, ctx.adminWallet, SIGNING_OPTIONS);
      clients.push(ctx.tenantSigner, ctx.adminSigner);
      const fresh = await DirectSecp256k1HdWallet.generate(12, { prefix: PREFIX });
      ctx.recipient = (await fresh.getAccounts())[0].address;
      return `admin ${admin.address}, tenant ${tenant.address}`;
    });

    await step('read an account and its balances', async () => {
      const acct = await ctx.query.getAccount(tenant.address);
      assert.ok(acct, 'tenant account exists');
      assert.equal(acct.address, tenant.address);
      assert.equal(typeof acct.accountNumber, 'number');
      assert.equal(typeof acct.sequence, 'number');
      const ulease = await ctx.query.getBalance(tenant.address, 'ulease');
      assert.equal(ulease.denom, 'ulease');
      assert.ok(BigInt(ulease.amount) > 0n, `tenant ulease ${ulease.amount}`);
      const all = await ctx.query.getAllBalances(tenant.address);
      assert.ok(amountOf(all, 'uusdc') > 0n, `tenant balances ${JSON.stringify(all)}`);
      assert.equal(amountOf(all, 'ulease'), BigInt(ulease.amount));
      // An address that never received anything has no account: CosmJS returns null
      // (needs the SDK's "rpc error: code = NotFound" log from abci_query).
      assert.equal(await ctx.query.getAccount(ctx.recipient), null);
      assert.equal((await ctx.query.getBalance(ctx.recipient, 'ulease')).amount, '0');
      return `account #${acct.accountNumber} seq ${acct.sequence}; ${all.map((c) => c.amount + c.denom).join(', ')}`;
    });

    await step('send tokens (fee "auto": simulate x 1.4; exact balances)', async () => {
      const amount = [{ denom: 'ulease', amount: '1234567' }];
      const before = BigInt((await ctx.query.getBalance(tenant.address, 'ulease')).amount);
      const res = await ctx.tenantSigner.sendTokens(tenant.address, ctx.recipient, amount, 'auto', 'cosmjs send');
      assert.equal(res.code, 0, res.rawLog);
      ctx.sendHash = res.transactionHash;
      const fee = feeOf(await ctx.query.getTx(res.transactionHash));
      assert.equal(fee.denom, 'ulease');
      assert.equal(fee.amount, (BigInt(res.gasWanted) * 25n + 999n) / 1000n, 'fee = ceil(gas limit x 0.025)ulease');
      const after = BigInt((await ctx.query.getBalance(tenant.address, 'ulease')).amount);
      assert.equal(after, before - 1234567n - fee.amount, 'sender pays amount + fee');
      assert.equal((await ctx.query.getBalance(ctx.recipient, 'ulease')).amount, '1234567');
      assert.ok(hasEvent(res.events, 'transfer', { recipient: ctx.recipient, sender: tenant.address, amount: '1234567ulease' }),
        `a transfer event to the recipient: ${JSON.stringify(res.events)}`);
      const acct = await ctx.query.getAccount(ctx.recipient);
      assert.ok(acct && acct.address === ctx.recipient, 'recipient account created');
      return `tx ${res.transactionHash} at height ${res.height}, gas ${res.gasUsed}/${res.gasWanted}, fee ${fee.amount}ulease`;
    });

    await step('upload provider.wasm (admin)', async () => {
      const wasm = fs.readFileSync(path.join(ARTIFACTS, 'provider.wasm'));
      const res = await ctx.adminSigner.upload(admin.address, wasm, 'auto', 'cosmjs upload');
      ctx.codeId = res.codeId;
      const checksum = crypto.createHash('sha256').update(wasm).digest('hex');
      assert.equal(res.checksum, checksum);
      const code = await ctx.wasm.getCodeDetails(res.codeId);
      assert.equal(code.checksum, checksum);
      assert.equal(code.creator, admin.address);
      return `code ${res.codeId} (${wasm.length} bytes, sha256 ${checksum.slice(0, 16)}...), tx ${res.transactionHash}`;
    });

    await step('instantiate the provider registry', async () => {
      const label = 'provider registry (cosmjs test)';
      const res = await ctx.adminSigner.instantiate(admin.address, ctx.codeId, { market: null }, label, 'auto', { admin: admin.address });
      ctx.provider = res.contractAddress;
      assert.match(res.contractAddress, /^lease1[0-9a-z]{58}$/, '32-byte contract address');
      const info = await ctx.wasm.getContract(res.contractAddress);
      assert.equal(info.codeId, ctx.codeId);
      assert.equal(info.creator, admin.address);
      assert.equal(info.admin, admin.address);
      assert.equal(info.label, label);
      const contracts = await ctx.wasm.getContracts(ctx.codeId);
      assert.deepEqual(contracts, [res.contractAddress]);
      const config = await ctx.wasm.queryContractSmart(res.contractAddress, { config: {} });
      assert.equal(config.market, admin.address, 'market defaults to the instantiator');
      return `${res.contractAddress}, tx ${res.transactionHash}`;
    });

    await step('execute the market: create a deployment via the generated MarketClient', async () => {
      // The genesis market is the first instance of code 1.
      const [market] = await ctx.wasm.getContracts(1);
      assert.ok(market, 'a market contract at genesis');
      ctx.market = market;
      ctx.dseq = await ctx.query.getHeight();
      ctx.manifestHash = crypto.createHash('sha256').update('cosmjs test manifest').digest('hex');
      const gib = 1024 ** 3;
      const group = {
        name: 'web',
        requirements: { attributes: [], signed_by: { all_of: [], any_of: [] } },
        resources: [{
          id: 1, count: 1, cpu_millis: 1000, memory_bytes: gib,
          storage: [{ name: 'root', size_bytes: gib, class: null, persistent: false }],
          gpu: { units: 0, models: [] },
          endpoints: [{ kind: 'shared_http', sequence_number: 0 }],
          price: { denom: 'uusdc', amount: '1000' },
        }],
      };
      const before = await ctx.query.getAllBalances(tenant.address);
      const client = new MarketClient(ctx.tenantSigner, tenant.address, market);
      const res = await client.createDeployment(
        { dseq: ctx.dseq, hash: ctx.manifestHash, groups: [group], autoMatch: false },
        'auto', 'cosmjs create_deployment', [{ denom: 'uusdc', amount: '5000000' }],
      );
      ctx.execHash = res.transactionHash;
      ctx.execHeight = res.height;
      assert.equal(attr(res.events, 'wasm', '_contract_address'), market);
      // The deposit moved to escrow; the fee was paid in ulease.
      const fee = feeOf(await ctx.query.getTx(res.transactionHash));
      assert.equal(fee.denom, 'ulease');
      const after = await ctx.query.getAllBalances(tenant.address);
      assert.equal(amountOf(after, 'uusdc'), amountOf(before, 'uusdc') - 5000000n, 'deposit of 5000000uusdc');
      assert.equal(amountOf(after, 'ulease'), amountOf(before, 'ulease') - fee.amount, 'fee');
      return `dseq ${ctx.dseq} in ${market}, tx ${res.transactionHash} at height ${res.height}, gas ${res.gasUsed}/${res.gasWanted}`;
    });

    await step('query the deployment (queryContractSmart)', async () => {
      const res = await ctx.wasm.queryContractSmart(ctx.market, { deployment: { id: { owner: tenant.address, dseq: ctx.dseq } } });
      assert.equal(res.deployment.id.owner, tenant.address);
      assert.equal(res.deployment.id.dseq, ctx.dseq);
      assert.equal(res.deployment.state, 'active');
      assert.equal(res.deployment.hash, ctx.manifestHash);
      assert.equal(res.deployment.denom, 'uusdc');
      assert.equal(res.groups.length, 1);
      assert.equal(res.groups[0].spec.name, 'web');
      assert.equal(res.groups[0].state, 'open');
      return `state ${res.deployment.state}, ${res.groups.length} group(s)`;
    });

    await step('find the txs by hash (getTx)', async () => {
      const tx = await ctx.query.getTx(ctx.execHash);
      assert.ok(tx, 'getTx finds the execute tx');
      assert.equal(tx.hash, ctx.execHash);
      assert.equal(tx.height, ctx.execHeight);
      assert.equal(tx.code, 0);
      assert.equal(attr(tx.events, 'wasm', '_contract_address'), ctx.market);
      const body = decodeTxRaw(tx.tx).body;
      assert.equal(body.memo, 'cosmjs create_deployment');
      assert.equal(body.messages[0].typeUrl, '/cosmwasm.wasm.v1.MsgExecuteContract');
      const send = await ctx.query.getTx(ctx.sendHash);
      assert.ok(send && send.code === 0, 'getTx finds the send tx');
      assert.equal(await ctx.query.getTx('00'.repeat(32)), null, 'an unknown hash is null');
      return `height ${tx.height}, index ${tx.txIndex}, ${tx.events.length} events`;
    });

    await step('find the txs by event (searchTx)', async () => {
      const bySender = await ctx.query.searchTx([{ key: 'message.sender', value: tenant.address }]);
      const senderHashes = bySender.map((t) => t.hash);
      assert.ok(senderHashes.includes(ctx.sendHash), `message.sender finds the send: ${senderHashes}`);
      assert.ok(senderHashes.includes(ctx.execHash), `message.sender finds the execute: ${senderHashes}`);
      const byContract = await ctx.wasm.searchTx(`wasm._contract_address='${ctx.market}'`);
      assert.deepEqual(byContract.map((t) => t.hash), [ctx.execHash]);
      const byHeight = await ctx.query.searchTx(`tx.height=${ctx.execHeight}`);
      assert.ok(byHeight.some((t) => t.hash === ctx.execHash), 'tx.height finds the execute');
      const none = await ctx.query.searchTx([{ key: 'message.sender', value: ctx.recipient }]);
      assert.deepEqual(none, []);
      return `message.sender: ${bySender.length} txs, wasm._contract_address: ${byContract.length}`;
    });

    await step('subscribe to NewBlock over the websocket (Comet38Client + WebsocketClient)', async () => {
      const ws = new WebsocketClient(node.ws, (err) => process.stdout.write(`    websocket error: ${err}\n`));
      const comet = Comet38Client.create(ws);
      clients.push(comet);
      const heightBefore = (await comet.status()).syncInfo.latestBlockHeight;
      const stream = comet.subscribeNewBlock();
      const event = await withTimeout(new Promise((resolve, reject) => {
        const sub = stream.subscribe({
          next: (ev) => { sub.unsubscribe(); resolve(ev); },
          error: reject,
          complete: () => reject(new Error('NewBlock stream completed without an event')),
        });
      }), EVENT_TIMEOUT_MS, 'NewBlock subscription');
      assert.equal(event.header.chainId, CHAIN_ID);
      assert.ok(event.header.height > heightBefore, `NewBlock height ${event.header.height} after ${heightBefore}`);
      return `block ${event.header.height} (${event.txs.length} txs)`;
    });

    await step('the docs/clients.md snippet (Using CosmJS) runs against this node', async () => {
      const script = readmeSnippet();
      assert.ok(script.includes(README_RPC), `the snippet connects to ${README_RPC}`);
      const file = path.join(node.home, 'hello-leasehold.js');
      fs.writeFileSync(file, script.split(README_RPC).join(node.rpc));
      const provider = accounts['provider-gpu'].address;
      const before = BigInt((await ctx.query.getBalance(provider, 'ulease')).amount);
      const out = await runNode(file, { NODE_PATH: path.join(ROOT, 'tools', 'node_modules') });
      assert.match(out, new RegExp(`chain ${CHAIN_ID} height \\d+`), out);
      assert.match(out, /sent: tx [0-9A-F]{64} height \d+ gas \d+/, out);
      const after = BigInt((await ctx.query.getBalance(provider, 'ulease')).amount);
      assert.equal(after, before + 1000n, 'the snippet sent 1000ulease to provider-gpu');
      return out.trim().split('\n').join(' | ');
    });
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    for (const c of clients) {
      try { c.disconnect(); } catch { /* already closed */ }
    }
    if (failed) {
      process.stdout.write(`\n--- leaseholdd log (${node.home}) ---\n${node.log.join('\n')}\n--- end of log ---\n`);
    }
    const stopStart = process.hrtime.bigint();
    await node.stop();
    timings.push({ name: 'stop the node (SIGTERM)', ms: Number(process.hrtime.bigint() - stopStart) / 1e6 });
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    printTimings();
  }
});
