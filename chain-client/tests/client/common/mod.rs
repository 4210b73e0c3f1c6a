//! The end-to-end harness: a dev node started in process on `127.0.0.1:0` (a block every
//! 200 ms, the dev genesis with the marketplace from `artifacts/`), and the real `leasehold`
//! binary run as a subprocess against it with an isolated keyring, config file and `HOME`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leasehold_client::client::{ChainClient, ClientConfig};
use leasehold_node::config::{Home, NodeConfig, write_validator_key};
use leasehold_node::devnet::{DEV_CHAIN_ID, dev_account, dev_genesis};
use leasehold_node::node::{DevNode, Marketplace, marketplace, start_dev};
use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_leasehold");
pub const BLOCK_INTERVAL_MS: u64 = 200;
pub const PREFIX: &str = "lease";
/// The CLI's default gas price: 0.025 ulease per unit of gas.
pub const GAS_PRICE_PER_MILLE: u128 = 25;

/// Where `make wasm` puts the contracts.
pub fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts")
}

pub fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name).to_string_lossy().into_owned()
}

/// The address of dev account `name`.
pub fn dev_address(name: &str) -> String {
    dev_account(name).unwrap_or_else(|| panic!("no dev account {name}")).address()
}

pub fn dev_mnemonic(name: &str) -> &'static str {
    dev_account(name).unwrap_or_else(|| panic!("no dev account {name}")).mnemonic
}

/// The fee the CLI pays for `gas_wanted` at the default gas price: `ceil(gas × 0.025)` ulease.
pub fn fee(gas_wanted: u64) -> u128 {
    (u128::from(gas_wanted) * GAS_PRICE_PER_MILLE).div_ceil(1000)
}

/// The `community_pool` module address (the escrow's take goes there).
pub fn community_pool() -> String {
    leasehold_keys::module_address(PREFIX, "community_pool").expect("module address")
}

/// The `fee_collector` module address (fees go there).
pub fn fee_collector() -> String {
    leasehold_keys::module_address(PREFIX, "fee_collector").expect("module address")
}

/// A dev node running in this process.
pub struct TestChain {
    node: Option<DevNode>,
    pub url: String,
    pub contracts: Marketplace,
    client: ChainClient,
    _home: TempDir,
}

impl TestChain {
    pub async fn start() -> TestChain {
        let home_dir = tempfile::tempdir().expect("temp dir");
        let home = Home(home_dir.path().to_path_buf());
        std::fs::create_dir_all(home.config_dir()).expect("config dir");
        let genesis =
            dev_genesis(&artifacts(), DEV_CHAIN_ID, "2026-01-01T00:00:00Z").expect("dev genesis (run `make wasm`)");
        std::fs::write(home.genesis_file(), serde_json::to_vec(&genesis).expect("genesis json")).expect("genesis");
        write_validator_key(&home.validator_key_file()).expect("validator key");
        let mut config = NodeConfig::default();
        config.grpc.address = "127.0.0.1:0".into();
        config.rpc.address = "127.0.0.1:0".into();
        config.dev.block_interval_ms = BLOCK_INTERVAL_MS;
        let node = start_dev(&home, &config).await.expect("dev node starts");
        let contracts = marketplace(&node.view).expect("marketplace").expect("marketplace deployed at genesis");
        let url = format!("http://{}", node.grpc_addr);
        let client = ChainClient::connect(ClientConfig { endpoint: url.clone(), ..ClientConfig::default() })
            .await
            .expect("client connects");
        TestChain { node: Some(node), url, contracts, client, _home: home_dir }
    }

    /// The latest committed height.
    pub async fn height(&self) -> u64 {
        self.client.latest_block().await.expect("latest block").0
    }

    /// Waits until the chain has committed `height`.
    pub async fn wait_for_height(&self, height: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let h = self.height().await;
            if h >= height {
                return h;
            }
            assert!(Instant::now() < deadline, "the chain is stuck at height {h} (waiting for {height})");
            tokio::time::sleep(Duration::from_millis(BLOCK_INTERVAL_MS / 4)).await;
        }
    }

    pub async fn stop(mut self) {
        if let Some(node) = self.node.take() {
            node.shutdown().await.expect("node stops cleanly");
        }
    }
}

/// One finished `leasehold` invocation.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl Run {
    /// Asserts the exit code and that stderr is exactly one line `error: ...` containing
    /// `needle`, with nothing on stdout.
    pub fn assert_error(&self, code: i32, needle: &str) -> &Self {
        assert_eq!(self.code, code, "exit code of {:?}\nstdout: {}\nstderr: {}", self.args, self.stdout, self.stderr);
        let lines: Vec<&str> = self.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{:?}: expected a one-line error, got stderr:\n{}", self.args, self.stderr);
        assert!(lines[0].starts_with("error: "), "{:?}: {}", self.args, lines[0]);
        assert!(lines[0].contains(needle), "{:?}: {:?} does not mention {needle:?}", self.args, lines[0]);
        assert_eq!(self.stdout, "", "{:?}: nothing belongs on stdout after an error", self.args);
        self
    }
}

/// The `leasehold` binary with an isolated keyring, config file and `HOME`.
pub struct Cli {
    pub node: String,
    /// `test` or `file`.
    pub backend: &'static str,
    dir: TempDir,
    env: Vec<(String, String)>,
}

impl Cli {
    /// Against `node` with the (unencrypted) `test` keyring backend.
    pub fn new(node: &str) -> Cli {
        Cli::with_backend(node, "test")
    }

    pub fn with_backend(node: &str, backend: &'static str) -> Cli {
        Cli { node: node.to_string(), backend, dir: tempfile::tempdir().expect("temp dir"), env: Vec::new() }
    }

    /// An environment variable for every later invocation.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    pub fn keyring_dir(&self) -> PathBuf {
        self.dir.path().join("keyring")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("client.toml")
    }

    /// `leasehold --node N --keyring-backend B --keyring-dir D --yes ARGS...`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(["--node", &self.node, "--keyring-backend", self.backend, "--keyring-dir"])
            .arg(self.keyring_dir())
            .arg("--yes")
            .args(args);
        self.isolate(&mut cmd);
        cmd
    }

    /// The binary with only `args` (no global flags), still isolated.
    pub fn bare(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        self.isolate(&mut cmd);
        cmd
    }

    fn isolate(&self, cmd: &mut Command) {
        for var in [
            "LEASEHOLD_NODE",
            "LEASEHOLD_FROM",
            "LEASEHOLD_KEYRING_DIR",
            "LEASEHOLD_KEYRING_PASSPHRASE",
            "LEASEHOLD_CLIENT_CONFIG",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.dir.path()).env("LEASEHOLD_CLIENT_CONFIG", self.config_path());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        exec(self.command(args), None).await
    }

    pub async fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        exec(self.command(args), Some(stdin.to_string())).await
    }

    /// Runs and asserts success.
    pub async fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args).await;
        assert_eq!(r.code, 0, "{:?} failed\nstdout: {}\nstderr: {}", r.args, r.stdout, r.stderr);
        r
    }

    /// Runs with `-o json` and asserts success, that stdout is exactly one JSON document and that
    /// nothing else was printed (no notes, spinner or progress on stderr).
    pub async fn json(&self, args: &[&str]) -> (Value, Run) {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let r = self.ok(&all).await;
        (parse_only_json(&r), r)
    }

    /// Imports dev account `name` under the same name, the mnemonic on stdin.
    pub async fn import_dev_key(&self, name: &str) {
        let r = self.run_stdin(&["keys", "import", name], dev_mnemonic(name)).await;
        assert_eq!(r.code, 0, "keys import {name}: {}", r.stderr);
        assert_eq!(r.stdout.trim(), format!("imported key {name} with address {}", dev_address(name)));
    }

    /// `query balances ADDR -o json` as denom → amount.
    pub async fn balances(&self, address: &str) -> BTreeMap<String, u128> {
        let (v, _) = self.json(&["query", "balances", address]).await;
        v.as_array()
            .expect("balances are a JSON array")
            .iter()
            .map(|c| {
                let denom = c["denom"].as_str().expect("denom").to_string();
                let amount = c["amount"].as_str().expect("amount").parse::<u128>().expect("integer amount");
                (denom, amount)
            })
            .collect()
    }

    /// The names of the files in the keyring directory (sorted) with their contents.
    pub fn keyring_files(&self) -> BTreeMap<String, Vec<u8>> {
        dir_snapshot(&self.keyring_dir())
    }
}

/// Every file of `dir` (not recursive) with its bytes; empty when `dir` does not exist.
pub fn dir_snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| {
            let e = e.expect("dir entry");
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read key file"))
        })
        .collect()
}

/// Stdout must be one JSON document and stderr empty.
pub fn parse_only_json(r: &Run) -> Value {
    assert_eq!(r.stderr, "", "{:?}: stderr must be empty with -o json", r.args);
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{:?}: stdout is not only JSON ({e}):\n{}", r.args, r.stdout))
}

/// Runs `cmd` on a blocking thread (the node shares this runtime), feeding `stdin` if given.
pub async fn exec(mut cmd: Command, stdin: Option<String>) -> Run {
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.spawn().expect("spawn leasehold");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        let out = child.wait_with_output().expect("leasehold runs");
        Run {
            args,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
            secs: started.elapsed().as_secs_f64(),
        }
    })
    .await
    .expect("blocking task")
}

/// Expected balances of a set of addresses, moved by each step, compared with the chain.
#[derive(Default)]
pub struct Ledger {
    /// (label, address) in the order they were added.
    pub accounts: Vec<(String, String)>,
    expected: BTreeMap<(String, String), u128>,
}

impl Ledger {
    /// Starts tracking `address` with its current balances.
    pub async fn track(&mut self, cli: &Cli, label: &str, address: &str) {
        self.accounts.push((label.to_string(), address.to_string()));
        for (denom, amount) in cli.balances(address).await {
            self.expected.insert((address.to_string(), denom), amount);
        }
    }

    pub fn get(&self, address: &str, denom: &str) -> u128 {
        self.expected.get(&(address.to_string(), denom.to_string())).copied().unwrap_or(0)
    }

    pub fn add(&mut self, address: &str, denom: &str, amount: u128) {
        let e = self.expected.entry((address.to_string(), denom.to_string())).or_default();
        *e = e.checked_add(amount).expect("balance overflow");
    }

    pub fn sub(&mut self, address: &str, denom: &str, amount: u128) {
        let e = self.expected.entry((address.to_string(), denom.to_string())).or_default();
        *e = e.checked_sub(amount).unwrap_or_else(|| panic!("{address} would go below zero in {denom}"));
    }

    /// `from` pays `amount` to `to`.
    pub fn pay(&mut self, from: &str, to: &str, denom: &str, amount: u128) {
        self.sub(from, denom, amount);
        self.add(to, denom, amount);
    }

    /// Every tracked balance, to the micro-unit.
    pub async fn check(&self, cli: &Cli, step: &str) {
        for (label, address) in &self.accounts {
            let actual = cli.balances(address).await;
            let denoms: std::collections::BTreeSet<&String> =
                actual.keys().chain(self.expected.keys().filter(|(a, _)| a == address).map(|(_, d)| d)).collect();
            for denom in denoms {
                assert_eq!(
                    actual.get(denom).copied().unwrap_or(0),
                    self.get(address, denom),
                    "after {step}: {label} ({address}) holds the wrong amount of {denom}"
                );
            }
        }
    }
}

/// One row of a journey's timing table.
pub struct Step {
    pub name: String,
    pub from_height: u64,
    pub to_height: u64,
    pub secs: f64,
}

/// Per-step blocks and wall seconds, printed as a table.
#[derive(Default)]
pub struct Timings {
    pub steps: Vec<Step>,
}

impl Timings {
    pub fn record(&mut self, name: &str, from_height: u64, to_height: u64, started: Instant) {
        self.steps.push(Step { name: name.to_string(), from_height, to_height, secs: started.elapsed().as_secs_f64() });
    }

    pub fn table(&self, title: &str) -> String {
        let width = self.steps.iter().map(|s| s.name.len()).max().unwrap_or(4).max(4);
        let mut out = format!("{title} (block interval {BLOCK_INTERVAL_MS} ms)\n");
        out.push_str(&format!("| {:<width$} | {:>7} | {:>6} | {:>8} |\n", "step", "heights", "blocks", "seconds"));
        out.push_str(&format!("|{}|{}|{}|{}|\n", "-".repeat(width + 2), "-".repeat(9), "-".repeat(8), "-".repeat(10)));
        let (mut blocks, mut secs) = (0, 0.0);
        for s in &self.steps {
            let b = s.to_height.saturating_sub(s.from_height);
            blocks += b;
            secs += s.secs;
            let heights = format!("{}-{}", s.from_height, s.to_height);
            out.push_str(&format!("| {:<width$} | {heights:>7} | {b:>6} | {:>8.2} |\n", s.name, s.secs));
        }
        out.push_str(&format!("| {:<width$} | {:>7} | {blocks:>6} | {secs:>8.2} |\n", "total", ""));
        out
    }

    /// Prints the table to stdout (shown with `--nocapture`) and writes it to
    /// `target/tmp/<file>` for the record.
    pub fn report(&self, title: &str, file: &str) {
        let table = self.table(title);
        println!("\n{table}");
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(file);
        if let Err(e) = std::fs::write(&path, &table) {
            println!("(could not write {}: {e})", path.display());
        }
    }
}
