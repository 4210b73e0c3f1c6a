//! Target `contracts`: execute and query messages into the compiled contracts
//! (`artifacts/{market,escrow,provider}.wasm`) on cosmwasm-vm through the wasm host, on a
//! marketplace like the dev chain's (market instantiated with the dev genesis message, escrow
//! and registry instantiated by it, the dev accounts funded, `provider-gpu` registered and the
//! tenant's `gpu-inference` deployment open).
//!
//! Inputs are structure-aware: an [`arbitrary::Unstructured`] drives a generator that walks the
//! contracts' committed JSON schemas (`schema/<contract>/<contract>.json`, the same message
//! types the contracts deserialize), so nearly every input is a well-formed message of some
//! variant, with values drawn from the chain's addresses, denoms and boundary numbers; up to
//! [`MAX_STEPS`] steps per input (execute or query, sender, funds, blocks to advance), with an
//! occasional raw byte string as the message. An input starting with `[` is instead a JSON
//! script — `[{"contract": "market", "sender": "tenant", "execute": {..}, "funds": [..]}, ..]`
//! — which is what the committed seeds are (readable, and mutated byte-wise by libFuzzer).
//! Every input runs in a branch of the state that is thrown away afterwards.
//!
//! Checked: nothing panics; no error is a VM or host fault ([`HostError::Vm`] other than gas
//! exhaustion, [`HostError::Internal`]) — a contract error or running out of gas is fine; a
//! failed execute and every query leave the state exactly as it was.

use std::sync::{Mutex, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use cosmwasm_std::Coin;
use leasehold_wasm_host::{HostError, HostOptions, WasmHost};
use serde_json::{Map, Value, json};
use tempfile::TempDir;

use crate::common::{artifact, dev, genesis, repo_root};

/// Steps per input at most.
pub const MAX_STEPS: usize = 4;
/// Deepest schema nesting generated.
const MAX_DEPTH: u32 = 10;

const MARKET_SCHEMA: &str = include_str!("../../../schema/market/market.json");
const ESCROW_SCHEMA: &str = include_str!("../../../schema/escrow/escrow.json");
const PROVIDER_SCHEMA: &str = include_str!("../../../schema/provider/provider.json");

/// One of the three contracts.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contract {
    Market,
    Escrow,
    Provider,
}

impl Contract {
    fn parse(name: &str) -> Option<Contract> {
        match name {
            "market" => Some(Contract::Market),
            "escrow" => Some(Contract::Escrow),
            "provider" | "registry" => Some(Contract::Provider),
            _ => None,
        }
    }
}

/// The generated part of a step besides its message.
#[derive(Arbitrary, Debug)]
struct StepHead {
    contract: Contract,
    query: bool,
    sender: u8,
    /// `(stable denom?, amount)` attached to an execute.
    funds: Option<(bool, u32)>,
    /// Blocks to advance before the step (mod 4).
    advance: u8,
    /// One in 16: the message is raw bytes instead of generated JSON.
    raw: u8,
}

struct Schemas {
    execute: Value,
    query: Value,
}

fn schemas(text: &str) -> Schemas {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("schema: {e}"));
    Schemas { execute: v["execute"].clone(), query: v["query"].clone() }
}

struct Fixture {
    host: WasmHost,
    market: String,
    escrow: String,
    registry: String,
    /// Who sends: the dev accounts, the contracts, an unfunded address.
    senders: Vec<String>,
    /// Strings the generator draws from.
    dict: Vec<String>,
    schemas: [Schemas; 3],
    _dir: TempDir,
}

impl Fixture {
    fn address(&self, c: Contract) -> &str {
        match c {
            Contract::Market => &self.market,
            Contract::Escrow => &self.escrow,
            Contract::Provider => &self.registry,
        }
    }

    fn schema(&self, c: Contract) -> &Schemas {
        &self.schemas[c as usize]
    }
}

const DEV_NAMES: [&str; 5] = ["admin", "tenant", "provider-gpu", "provider-cpu", "auditor"];

fn fixture() -> &'static Mutex<Fixture> {
    static F: OnceLock<Mutex<Fixture>> = OnceLock::new();
    F.get_or_init(|| Mutex::new(build_fixture()))
}

fn must<T>(r: Result<T, HostError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("fixture: {what}: {e}"))
}

fn build_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let mut host = must(WasmHost::new(HostOptions::new(dir.path().join("wasm"))), "host");
    let admin = dev("admin").address();
    for name in ["market", "escrow", "provider"] {
        let id = must(host.store_code(&admin, &artifact(name)), name);
        must(host.pin(id), "pin");
    }
    let genesis = genesis();
    let market_msg = String::from_utf8_lossy(genesis.app_state.wasm.contracts[0].msg.as_bytes()).into_owned();
    let (market, _) = must(
        host.instantiate(&admin, 1, market_msg.as_bytes(), &[], "leasehold-market", Some(&admin)),
        "instantiate market",
    );
    let config: Value = serde_json::from_slice(&must(host.query_smart(&market, br#"{"config":{}}"#), "market config"))
        .unwrap_or_default();
    let escrow = config["escrow"].as_str().unwrap_or_default().to_string();
    let registry = config["provider_registry"].as_str().unwrap_or_default().to_string();
    let mut senders: Vec<String> = DEV_NAMES.iter().map(|n| dev(n).address()).collect();
    for s in &senders {
        let coins = [Coin::new(1_000_000_000_000u128, "ulease"), Coin::new(1_000_000_000_000u128, "uusdc")];
        must(host.mint(s, &coins), "mint");
    }
    senders.extend([market.clone(), escrow.clone(), registry.clone()]);
    senders.push(leasehold_keys::module_address("lease", "fuzz-unfunded").unwrap_or_default());

    // The base state: a registered provider and an open deployment (from the example SDL).
    let sdl = std::fs::read_to_string(repo_root().join("examples/gpu-inference.yaml")).unwrap_or_default();
    let sdl = leasehold_client::sdl::parse_sdl(&sdl).unwrap_or_else(|e| panic!("example SDL: {e}"));
    let groups = sdl.group_specs().unwrap_or_else(|e| panic!("example SDL groups: {e}"));
    let hash: String = sdl.manifest_hash().iter().map(|b| format!("{b:02x}")).collect();
    let (tenant, provider) = (dev("tenant").address(), dev("provider-gpu").address());
    let register = register_msg();
    must(host.execute(&provider, &registry, register.to_string().as_bytes(), &[]), "register provider");
    let deploy = json!({"create_deployment": {"dseq": 1, "groups": groups, "hash": hash, "auto_match": false}});
    must(
        host.execute(&tenant, &market, deploy.to_string().as_bytes(), &[Coin::new(5_000_000u128, "uusdc")]),
        "create deployment",
    );

    let mut dict: Vec<String> = senders.clone();
    dict.extend(
        [
            "ulease",
            "uusdc",
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
            "",
            "*",
            "https://provider.example.com:8443",
            "http://insecure.example.com",
            "https://p.example.com/path",
            "region",
            "eu-west",
            "tier",
            "datacenter",
            "gpu/vendor/nvidia/model/h100",
            "capabilities/gpu",
            "h100",
            "a100",
            "80Gi",
            "sxm",
            "pcie",
            "0",
            "1",
            "5000000",
            "340282366920938463463374607431768211455",
            "0.05",
            "1.5",
            "-1",
            "lease1",
            "cosmos1xuevmc8crswsqhaq8ajprcyj56g7grexq8qqgg",
            "LEASE1XUEVMC8CRSWSQHAQ8AJPRCYJ56G7GREXLSZUT7",
        ]
        .map(String::from),
    );
    Fixture {
        host,
        market,
        escrow,
        registry,
        senders,
        dict,
        schemas: [schemas(MARKET_SCHEMA), schemas(ESCROW_SCHEMA), schemas(PROVIDER_SCHEMA)],
        _dir: dir,
    }
}

fn register_msg() -> Value {
    json!({"register": {
        "host_uri": "https://provider.example.com:8443",
        "attributes": [{"key": "region", "value": "eu-west"}, {"key": "tier", "value": "datacenter"}],
        "info": {"email": "ops@example.com", "website": "https://example.com"}
    }})
}

/// A generator of JSON values following a JSON schema (draft 07 as cosmwasm-schema writes it).
struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    defs: &'a Map<String, Value>,
    dict: &'a [String],
    depth: u32,
}

const NUMBER_STRINGS: [&str; 10] = [
    "0",
    "1",
    "100000",
    "5000000",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211455",
    "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    "-1",
    "01",
];
const DECIMAL_STRINGS: [&str; 8] = [
    "0",
    "0.05",
    "0.5",
    "1",
    "1.000000000000000001",
    "0.000000000000000001",
    "340282366920938463463.374607431768211455",
    "1e3",
];

impl Gen<'_, '_> {
    fn value(&mut self, schema: &Value, hint: &str) -> arbitrary::Result<Value> {
        if self.depth > MAX_DEPTH {
            return Ok(Value::Null);
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            let Some(def) = self.defs.get(name) else { return Ok(Value::Null) };
            self.depth += 1;
            let v = self.value(def, name);
            self.depth -= 1;
            return v;
        }
        if let Some(first) = schema.get("allOf").and_then(Value::as_array).and_then(|a| a.first()) {
            return self.value(first, hint);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array).filter(|o| !o.is_empty()) {
                let option = self.u.choose(options)?;
                return self.value(option, hint);
            }
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array).filter(|o| !o.is_empty()) {
            return Ok(self.u.choose(values)?.clone());
        }
        let ty = match schema.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) if !ts.is_empty() => self.u.choose(ts)?.as_str().unwrap_or("null"),
            _ => "any",
        };
        Ok(match ty {
            "null" => Value::Null,
            "boolean" => Value::Bool(self.u.arbitrary()?),
            "integer" | "number" => self.integer(schema.get("format").and_then(Value::as_str))?,
            "string" => Value::String(self.string(hint)?),
            "array" => {
                let n = if self.u.ratio(1, 16)? { self.u.int_in_range(4..=40)? } else { self.u.int_in_range(0..=3)? };
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                self.depth += 1;
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    out.push(self.value(&items, hint)?);
                }
                self.depth -= 1;
                Value::Array(out)
            }
            "object" => {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut out = Map::new();
                self.depth += 1;
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (k, s) in props {
                        let include =
                            if required.contains(&k.as_str()) { !self.u.ratio(1, 64)? } else { self.u.arbitrary()? };
                        if include {
                            out.insert(k.clone(), self.value(s, k)?);
                        }
                    }
                }
                self.depth -= 1;
                if self.u.ratio(1, 64)? {
                    out.insert("unknown_field".into(), Value::from(1));
                }
                Value::Object(out)
            }
            _ => Value::Null,
        })
    }

    fn integer(&mut self, format: Option<&str>) -> arbitrary::Result<Value> {
        let v: i128 = match self.u.int_in_range(0u8..=5)? {
            0 => i128::from(self.u.int_in_range(0u8..=5)?),
            1 => i128::from(self.u.int_in_range(1u32..=1000)?),
            2 => i128::from(self.u.arbitrary::<u32>()?),
            3 => i128::from(self.u.arbitrary::<u64>()?),
            4 => i128::from(u64::MAX),
            _ => -1,
        };
        let v = match format {
            Some("uint32") if self.u.ratio(7, 8)? => v.rem_euclid(i128::from(u32::MAX) + 1),
            Some("uint8") if self.u.ratio(7, 8)? => v.rem_euclid(256),
            _ => v,
        };
        Ok(i64::try_from(v).map(Value::from).unwrap_or_else(|_| Value::from(u64::try_from(v).unwrap_or(u64::MAX))))
    }

    fn string(&mut self, hint: &str) -> arbitrary::Result<String> {
        let h = hint.to_ascii_lowercase();
        if self.u.ratio(1, 16)? {
            return Ok(self.u.arbitrary::<&str>()?.to_string());
        }
        let pick =
            |u: &mut Unstructured<'_>, list: &[&str]| -> arbitrary::Result<String> { Ok(u.choose(list)?.to_string()) };
        Ok(if h.starts_with("uint") || h == "amount" {
            if self.u.ratio(1, 4)? { self.u.arbitrary::<u64>()?.to_string() } else { pick(self.u, &NUMBER_STRINGS)? }
        } else if h.starts_with("decimal") || h.contains("rate") || h.contains("price") {
            pick(self.u, &DECIMAL_STRINGS)?
        } else if h == "hexbinary" || h == "hash" {
            let len = self.u.choose(&[32usize, 0, 31, 33])?;
            let bytes = self.u.bytes(*len).unwrap_or(&[]);
            let mut s: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if self.u.ratio(1, 16)? {
                s.push('z');
            }
            s
        } else if h == "binary" {
            "eyJ4IjoxfQ==".to_string()
        } else if h.contains("denom") {
            pick(
                self.u,
                &[
                    "ulease",
                    "uusdc",
                    "",
                    "ULEASE",
                    "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
                ],
            )?
        } else {
            self.u.choose(self.dict)?.clone()
        })
    }
}

/// One step: what to call, how, by whom.
#[derive(Debug)]
struct Step {
    contract: Contract,
    query: bool,
    sender: String,
    msg: Vec<u8>,
    funds: Vec<Coin>,
    advance: u64,
}

fn generate(f: &Fixture, data: &[u8]) -> Vec<Step> {
    let mut u = Unstructured::new(data);
    let mut steps = Vec::new();
    let n = u.int_in_range(1..=MAX_STEPS).unwrap_or(1);
    for _ in 0..n {
        let Ok(head) = u.arbitrary::<StepHead>() else { break };
        let schemas = f.schema(head.contract);
        let schema = if head.query { &schemas.query } else { &schemas.execute };
        let msg = if head.raw % 16 == 0 {
            u.arbitrary::<&[u8]>().unwrap_or_default().to_vec()
        } else {
            let defs = schema.get("definitions").and_then(Value::as_object).cloned().unwrap_or_default();
            let mut g = Gen { u: &mut u, defs: &defs, dict: &f.dict, depth: 0 };
            match g.value(schema, "") {
                Ok(v) => v.to_string().into_bytes(),
                Err(_) => break,
            }
        };
        let funds = match head.funds {
            Some((stable, amount)) => vec![Coin::new(u128::from(amount), if stable { "uusdc" } else { "ulease" })],
            None => vec![],
        };
        let sender = f.senders[usize::from(head.sender) % f.senders.len()].clone();
        steps.push(Step {
            contract: head.contract,
            query: head.query,
            sender,
            msg,
            funds,
            advance: u64::from(head.advance % 4),
        });
    }
    steps
}

/// The JSON-script form (inputs starting with `[`); `None` if it is not a valid script.
fn script(f: &Fixture, data: &[u8]) -> Option<Vec<Step>> {
    let items: Vec<Value> = serde_json::from_slice(data).ok()?;
    let mut steps = Vec::new();
    for item in items.iter().take(MAX_STEPS) {
        let contract = Contract::parse(item.get("contract")?.as_str()?)?;
        let name = item.get("sender").and_then(Value::as_str).unwrap_or("tenant");
        let sender = match DEV_NAMES.iter().position(|n| *n == name) {
            Some(i) => f.senders[i].clone(),
            None => name.to_string(),
        };
        let (query, msg) = match (item.get("execute"), item.get("query")) {
            (Some(m), _) => (false, m),
            (None, Some(m)) => (true, m),
            (None, None) => return None,
        };
        let funds = item
            .get("funds")
            .and_then(Value::as_array)
            .map(|fs| {
                fs.iter()
                    .filter_map(|c| {
                        let amount: u128 = c.get("amount")?.as_str()?.parse().ok()?;
                        Some(Coin::new(amount, c.get("denom")?.as_str()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let advance = item.get("advance").and_then(Value::as_u64).unwrap_or(0).min(1000);
        steps.push(Step { contract, query, sender, msg: msg.to_string().into_bytes(), funds, advance });
    }
    Some(steps)
}

/// The whole state, to compare before and after.
fn state(host: &WasmHost) -> Vec<(Vec<u8>, Vec<u8>)> {
    host.store().range(None, None, cosmwasm_std::Order::Ascending).collect()
}

/// A VM or host fault (not the contract's own error, not gas), innermost error first.
fn fault(e: &HostError) -> Option<String> {
    match e {
        HostError::Wrapped { source, .. } => fault(source),
        HostError::Vm(msg) if !msg.to_ascii_lowercase().contains("gas") => Some(format!("VM error: {msg}")),
        HostError::Internal(msg) => Some(format!("host failure: {msg}")),
        _ => None,
    }
}

/// Runs the steps `data` describes on a branch of the fixture's state; panics when a property
/// fails.
pub fn run(data: &[u8]) {
    let mut f = fixture().lock().unwrap_or_else(|p| p.into_inner());
    let steps = if data.first() == Some(&b'[') { script(&f, data) } else { Some(generate(&f, data)) };
    let Some(steps) = steps else { return };
    let block = f.host.block().clone();
    let branch = f.host.store().branch();
    for step in &steps {
        if step.advance > 0 {
            f.host.advance_blocks(step.advance, 6);
        }
        let contract = f.address(step.contract).to_string();
        let before = state(&f.host);
        let (result, stateless) = if step.query {
            (f.host.query_smart(&contract, &step.msg).map(drop), true)
        } else {
            (f.host.execute(&step.sender, &contract, &step.msg, &step.funds).map(drop), false)
        };
        if let Err(e) = &result
            && let Some(fault) = fault(e)
        {
            panic!("{fault}\nstep: {:?} {}", step.contract, String::from_utf8_lossy(&step.msg));
        }
        if stateless || result.is_err() {
            assert!(state(&f.host) == before, "a failed execute or a query changed the state: {step:?}");
        }
    }
    branch.discard();
    f.host.set_block(block);
}

/// Seeds: JSON scripts of real marketplace calls (provider, tenant, auditor, queries).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let f = fixture().lock().unwrap_or_else(|p| p.into_inner());
    let provider = dev("provider-gpu").address();
    let tenant = dev("tenant").address();
    let seeds: Vec<(&str, Value)> = vec![
        (
            "bid-on-the-open-order",
            json!([
                {"contract": "market", "sender": "provider-gpu", "query": {"orders": {"state": "open", "limit": 10}}},
                {"contract": "market", "sender": "provider-gpu", "execute": {"create_bid": {"order_id": {"owner": tenant, "dseq": 1, "gseq": 1, "oseq": 1}, "price": {"denom": "uusdc", "amount": "3116"}}}, "funds": [{"denom": "uusdc", "amount": "500000"}]}
            ]),
        ),
        (
            "auditor-signs-then-query",
            json!([
                {"contract": "provider", "sender": "auditor", "execute": {"sign_attributes": {"provider": provider, "attributes": [{"key": "tier", "value": "datacenter"}]}}},
                {"contract": "provider", "sender": "tenant", "query": {"audited_attributes": {"provider": provider}}}
            ]),
        ),
        (
            "tenant-updates-and-closes",
            json!([
                {"contract": "market", "sender": "tenant", "execute": {"update_deployment": {"dseq": 1, "auto_match": true}}},
                {"contract": "market", "sender": "tenant", "advance": 3, "execute": {"close_deployment": {"dseq": 1}}}
            ]),
        ),
        (
            "escrow-deposit-and-runway",
            json!([
                {"contract": "escrow", "sender": "tenant", "query": {"account": {"id": {"scope": "deployment", "xid": format!("{tenant}/1")}}}},
                {"contract": "market", "sender": "tenant", "execute": {"update_params": {"params": {"denoms": [], "max_bids_per_order": 0, "bidding_window": 0, "order_expiry": 0}}}}
            ]),
        ),
        (
            "provider-update-and-queries",
            json!([
                {"contract": "provider", "sender": "provider-gpu", "execute": {"update": {"host_uri": "https://gpu.example.com", "attributes": [{"key": "region", "value": "us-east"}], "info": {"email": "a@b.c", "website": "https://b.c"}}}},
                {"contract": "provider", "sender": "tenant", "query": {"providers": {"limit": 5}}},
                {"contract": "market", "sender": "tenant", "query": {"config": {}}},
                {"contract": "escrow", "sender": "tenant", "query": {"config": {}}}
            ]),
        ),
        (
            "register-provider-cpu",
            json!([{"contract": "provider", "sender": "provider-cpu", "execute": register_msg()}]),
        ),
    ];
    drop(f);
    seeds.into_iter().map(|(n, v)| (n.to_string(), serde_json::to_vec_pretty(&v).unwrap_or_default())).collect()
}
