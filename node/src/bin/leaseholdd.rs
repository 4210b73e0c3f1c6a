//! `leaseholdd`: the Leasehold node.
//!
//! ```text
//! leaseholdd init [--home DIR] [--chain-id ID] [--artifacts DIR] [--force]
//! leaseholdd start --dev [--home DIR] [--grpc-address ADDR] [--rpc-address ADDR] [--block-interval-ms N]
//! leaseholdd start [--home DIR]            # ABCI server for CometBFT + gRPC (config.toml [abci])
//! leaseholdd testnet --validators N [--output DIR] [--chain-id ID] [--hosts H1,H2,...]
//! leaseholdd accounts                      # the dev accounts and their mnemonics
//! ```
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use leasehold_node::comet::start_comet;
use leasehold_node::config::{Home, NodeConfig, write_validator_key};
use leasehold_node::devnet::{self, DENOM, DEV_ACCOUNTS, DEV_BALANCE, DEV_CHAIN_ID, STABLE_DENOM};
use leasehold_node::error::NodeError;
use leasehold_node::node::{marketplace, start_dev};
use leasehold_wasm_host::Bech32Api;

#[derive(Parser)]
#[command(
    name = "leaseholdd",
    version,
    about = "The Leasehold app-chain node: a compute-leasing marketplace on CosmWasm"
)]
struct Cli {
    /// Node home directory (config/ and data/). Default: $LEASEHOLD_HOME or ~/.leasehold.
    #[arg(long, global = true, env = "LEASEHOLD_HOME")]
    home: Option<PathBuf>,
    /// Log level or tracing filter (overrides config.toml's log_level; RUST_LOG overrides both).
    #[arg(long, global = true)]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write config.toml, a validator key and a dev genesis with funded dev accounts and the
    /// marketplace contracts (from --artifacts).
    ///
    /// Example: leaseholdd init --home ./.leasehold --artifacts ./artifacts
    Init {
        #[arg(long, default_value = DEV_CHAIN_ID)]
        chain_id: String,
        /// Directory holding market.wasm, escrow.wasm and provider.wasm (`make wasm`).
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
        /// Overwrite an existing home (deletes its data).
        #[arg(long)]
        force: bool,
    },
    /// Run the node: with --dev, the embedded single-validator chain; without, the ABCI server
    /// for CometBFT (config.toml [abci]) and the gRPC server.
    ///
    /// Example: leaseholdd start --dev --home ./.leasehold
    /// Example: leaseholdd start --home ./testnet/validator-0/leasehold
    Start {
        /// Run the embedded single-validator block producer (no CometBFT needed).
        #[arg(long)]
        dev: bool,
        /// gRPC listen address (overrides config.toml).
        #[arg(long)]
        grpc_address: Option<String>,
        /// CometBFT JSON-RPC listen address of --dev (overrides config.toml's [rpc] address).
        #[arg(long)]
        rpc_address: Option<String>,
        /// Milliseconds between blocks (overrides config.toml).
        #[arg(long)]
        block_interval_ms: Option<u64>,
    },
    /// Print the dev accounts: names, addresses and mnemonics (for local development only).
    Accounts,
    /// Write the files for an N-validator network on CometBFT v0.38: CometBFT genesis (with the
    /// marketplace app_state), validator and node keys, and each validator's leaseholdd config.
    /// The procedure is in docs/validators.md.
    ///
    /// Example: leaseholdd testnet --validators 4 --output ./testnet --chain-id leasehold-test-1
    Testnet {
        /// How many validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Where to write the files (must not exist or be empty).
        #[arg(long, default_value = "testnet")]
        output: PathBuf,
        #[arg(long, default_value = "leasehold-testnet-1")]
        chain_id: String,
        /// Directory holding market.wasm, escrow.wasm and provider.wasm (`make wasm`).
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
        /// Comma-separated hosts, one per validator (default: all on 127.0.0.1 with ports
        /// shifted by 100 per validator).
        #[arg(long, value_delimiter = ',', default_value = "127.0.0.1")]
        hosts: Vec<String>,
    },
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".")).join(".leasehold")
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

/// Prints the dev accounts; a closed pipe (`leaseholdd accounts | head`) just ends the output.
fn print_accounts() {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Dev accounts (each funded with {DEV_BALANCE}{DENOM} and {DEV_BALANCE}{STABLE_DENOM}; never use these mnemonics for real funds):"
    );
    for a in DEV_ACCOUNTS {
        if writeln!(out, "  {:<13} {}\n  {:<13} mnemonic: {}", a.name, a.address(), "", a.mnemonic).is_err() {
            return;
        }
    }
}

fn init(home: &Home, chain_id: &str, artifacts: &std::path::Path, force: bool) -> Result<(), NodeError> {
    if home.0.exists() && (home.config_file().exists() || home.data_dir().exists()) {
        if !force {
            return Err(NodeError::Config(format!(
                "{} is already initialised; use --force to overwrite it (its chain data is deleted)",
                home.0.display()
            )));
        }
        let _ = std::fs::remove_dir_all(home.data_dir());
    }
    std::fs::create_dir_all(home.config_dir())?;
    std::fs::create_dir_all(home.data_dir())?;
    let now = tendermint::Time::now().to_rfc3339();
    let genesis = devnet::dev_genesis(artifacts, chain_id, &now)?;
    let json = serde_json::to_vec_pretty(&genesis).map_err(|e| NodeError::Genesis(e.to_string()))?;
    std::fs::write(home.genesis_file(), json)?;
    NodeConfig::default().save(&home.config_file())?;
    write_validator_key(&home.validator_key_file())?;
    let api = Bech32Api::new("lease").map_err(|e| NodeError::Config(e.to_string()))?;
    let classic =
        |code, instance| api.humanize(&leasehold_wasm_host::address::classic(code, instance)).unwrap_or_default();
    println!("Initialised {} for chain {chain_id}", home.0.display());
    println!("  config:  {}", home.config_file().display());
    println!("  genesis: {}", home.genesis_file().display());
    println!("Marketplace contracts (instantiated at genesis):");
    println!("  market   {} (code 1)", classic(1, 1));
    println!("  escrow   {} (code 2, instantiated by the market)", classic(2, 2));
    println!("  provider {} (code 3, instantiated by the market)", classic(3, 3));
    print_accounts();
    Ok(())
}

async fn start(home: &Home, config: NodeConfig) -> Result<(), NodeError> {
    let node = start_dev(home, &config).await?;
    let status = node.view.status();
    println!("leaseholdd is running (dev mode, single validator)");
    println!("  chain id     {}", status.chain_id());
    println!("  height       {}", status.height);
    println!("  gRPC         http://{}", node.grpc_addr);
    println!("  RPC          http://{0}   (CometBFT JSON-RPC; websocket ws://{0}/websocket)", node.rpc_addr);
    println!("  block time   {} ms", config.dev.block_interval_ms);
    println!(
        "  min gas      {}",
        if config.minimum_gas_prices.is_empty() { "free" } else { &config.minimum_gas_prices }
    );
    println!("  data         {}", home.data_dir().display());
    if let Some(m) = marketplace(&node.view)? {
        println!("Marketplace contracts:\n  market   {}\n  escrow   {}\n  provider {}", m.market, m.escrow, m.provider);
    }
    print_accounts();
    println!("Press Ctrl-C to stop.");
    node.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// `start` without `--dev`: serve CometBFT.
async fn start_comet_mode(home: &Home, config: NodeConfig) -> Result<(), NodeError> {
    let node = start_comet(home, &config).await?;
    let status = node.view.status();
    println!("leaseholdd is running (ABCI mode: CometBFT drives the chain)");
    println!("  ABCI         tcp://{}   (CometBFT: proxy_app = \"tcp://{}\")", node.abci_addr, node.abci_addr);
    println!("  gRPC         http://{}", node.grpc_addr);
    println!("  CometBFT RPC {}   (BroadcastTx forwards there)", config.abci.comet_rpc);
    match status.height {
        0 => println!("  state        empty: waiting for CometBFT's InitChain"),
        h => println!("  state        height {h}, chain {}", status.chain_id()),
    }
    println!("  data         {}", home.data_dir().display());
    println!("Press Ctrl-C to stop.");
    node.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn testnet(out: &Path, validators: usize, hosts: &[String], chain_id: &str, artifacts: &Path) -> Result<(), NodeError> {
    let now = tendermint::Time::now().to_rfc3339();
    let genesis = devnet::dev_genesis(artifacts, chain_id, &now)?;
    let files = leasehold_node::testnet::write_testnet(out, validators, hosts, &genesis)?;
    println!("Wrote a {validators}-validator network for chain {chain_id} in {}", out.display());
    println!("  genesis      {}", out.join("genesis.json").display());
    println!("  peers        {}", out.join("peers.txt").display());
    for v in &files {
        println!(
            "  {:<12} node {}  p2p {}:{}  CometBFT RPC :{}  ABCI :{}  gRPC :{}",
            v.name, v.node_id, v.host, v.p2p_port, v.rpc_port, v.abci_port, v.grpc_port
        );
    }
    println!("Next: docs/validators.md (cometbft init, then leaseholdd start and cometbft start per validator).");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn run(cli: Cli) -> Result<(), NodeError> {
    let home = Home(cli.home.unwrap_or_else(default_home));
    match cli.command {
        Command::Init { chain_id, artifacts, force } => {
            init_logging(cli.log_level.as_deref().unwrap_or("info"));
            init(&home, &chain_id, &artifacts, force)
        }
        Command::Accounts => {
            print_accounts();
            Ok(())
        }
        Command::Start { dev, grpc_address, rpc_address, block_interval_ms } => {
            // Under CometBFT the genesis arrives with InitChain: only config.toml is needed.
            let ready = if dev { home.is_initialised() } else { home.config_file().exists() };
            if !ready {
                return Err(NodeError::Config(format!(
                    "{} is not initialised: run `leaseholdd init --home {}` (or `leaseholdd testnet`) first",
                    home.0.display(),
                    home.0.display()
                )));
            }
            let mut config = NodeConfig::load(&home.config_file())?;
            if let Some(a) = grpc_address {
                config.grpc.address = a;
            }
            if let Some(a) = rpc_address {
                config.rpc.address = a;
            }
            if let Some(ms) = block_interval_ms {
                config.dev.block_interval_ms = ms;
            }
            init_logging(cli.log_level.as_deref().unwrap_or(&config.log_level));
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            if dev { runtime.block_on(start(&home, config)) } else { runtime.block_on(start_comet_mode(&home, config)) }
        }
        Command::Testnet { validators, output, chain_id, artifacts, hosts } => {
            init_logging(cli.log_level.as_deref().unwrap_or("info"));
            testnet(&output, validators, &hosts, &chain_id, &artifacts)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
