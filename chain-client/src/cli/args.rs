//! The `leasehold` command line: every command and flag, with examples in `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "leasehold",
    version,
    about = "Lease compute (GPUs above all) on the Leasehold chain: tenants, providers, auditors, operators",
    after_help = "Examples:\n  leasehold keys add alice\n  leasehold deployment create examples/gpu-inference.yaml --deposit 5000000uusdc --from alice\n  leasehold bids list --dseq 1 --from alice\n  leasehold lease create lease1owner/1/1/1/lease1provider --from alice\n\nDefaults come from ~/.leasehold/client.toml (see `leasehold config show`)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// gRPC endpoint of a node [default: http://127.0.0.1:9090]
    #[arg(long, global = true, env = "LEASEHOLD_NODE")]
    pub node: Option<String>,
    /// Chain id (asked from the node when absent)
    #[arg(long, global = true)]
    pub chain_id: Option<String>,
    /// Key (name in the keyring) that signs
    #[arg(long, global = true, env = "LEASEHOLD_FROM")]
    pub from: Option<String>,
    /// Keyring directory [default: ~/.leasehold/keyring]
    #[arg(long, global = true, env = "LEASEHOLD_KEYRING_DIR")]
    pub keyring_dir: Option<PathBuf>,
    /// Keyring backend: `file` (encrypted) or `test` (UNENCRYPTED, for tests only)
    #[arg(long, global = true, value_enum)]
    pub keyring_backend: Option<KeyringBackend>,
    /// Gas limit: `auto` (simulate × --gas-adjustment) or a number
    #[arg(long, global = true)]
    pub gas: Option<String>,
    /// Multiplier on simulated gas [default: 1.3]
    #[arg(long, global = true)]
    pub gas_adjustment: Option<f64>,
    /// Gas price used to compute fees [default: 0.025ulease]
    #[arg(long, global = true)]
    pub gas_prices: Option<String>,
    /// Exact fees instead of gas × price, e.g. 5000ulease
    #[arg(long, global = true)]
    pub fees: Option<String>,
    /// Output format
    #[arg(long, short = 'o', global = true, value_enum)]
    pub output: Option<OutputFormat>,
    /// Do not ask for confirmation
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Print error details and debug logs
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
    /// Client config file [default: ~/.leasehold/client.toml] (`--config` belongs to
    /// `provider run`, whose engine config it names)
    #[arg(long = "client-config", global = true, env = "LEASEHOLD_CLIENT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address of the market contract (found on chain when absent)
    #[arg(long, global = true)]
    pub market: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable (`table` is the same)
    #[value(alias = "table")]
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyringBackend {
    File,
    Test,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Manage keys in the keyring
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Tenant: create, update, fund and close deployments
    #[command(subcommand)]
    Deployment(DeploymentCmd),
    /// Tenant: pause, restart or close one group of a deployment
    #[command(subcommand)]
    Group(GroupCmd),
    /// See the bids on your orders
    #[command(subcommand)]
    Bids(BidsCmd),
    /// Tenant and provider: leases
    #[command(subcommand)]
    Lease(LeaseCmd),
    /// Tenant: a deployment's escrow account (balance, accrued, runway)
    #[command(subcommand)]
    Escrow(EscrowCmd),
    /// Provider: register, update or delete yourself in the registry
    #[command(subcommand)]
    Provider(ProviderCmd),
    /// Provider: place or close bids
    #[command(subcommand)]
    Bid(BidCmd),
    /// Auditor: sign or delete attributes of a provider
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Operator: store, instantiate, migrate and query contracts
    #[command(subcommand)]
    Wasm(WasmCmd),
    /// Send tokens
    #[command(subcommand)]
    Bank(BankCmd),
    /// Read accounts, balances and transactions
    #[command(subcommand)]
    Query(QueryCmd),
    /// Show or write the client config file
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Indexer: follow the chain into SQLite or PostgreSQL, and query it
    #[command(subcommand)]
    Index(crate::cli::commands::index::IndexCmd),
    /// Tenant walkthrough against a running market (`make run`): deploy, bids, lease, payments, top-up, close
    #[command(
        after_help = "Example: leasehold demo --keyring-backend test --keyring-dir .leasehold/keyring\n\nStart the market first (`make run`, then `make demo` in a second terminal). Signs as --from, or `tenant`."
    )]
    Demo(crate::cli::commands::demo::DemoArgs),
    /// Print shell completions, e.g. `leasehold completions bash > /etc/bash_completion.d/leasehold`
    #[command(after_help = "Example: leasehold completions zsh > ~/.zfunc/_leasehold")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Create a key from a new 24-word mnemonic (shown once: write it down)
    #[command(after_help = "Example: leasehold keys add alice")]
    Add { name: String },
    /// List keys (names and addresses; no passphrase needed)
    #[command(after_help = "Example: leasehold keys list")]
    List,
    /// Show one key's address and public key
    #[command(after_help = "Example: leasehold keys show alice")]
    Show { name: String },
    /// Import a key from a mnemonic (read from stdin or prompted; never pass it as an argument)
    #[command(after_help = "Example: echo \"word1 ... word24\" | leasehold keys import bob")]
    Import {
        name: String,
        /// HD account index (m/44'/118'/0'/0/INDEX)
        #[arg(long, default_value_t = 0)]
        index: u32,
    },
    /// Print a key's mnemonic (asks for the passphrase and a confirmation)
    #[command(after_help = "Example: leasehold keys export alice")]
    Export { name: String },
    /// Delete a key from the keyring
    #[command(after_help = "Example: leasehold keys delete alice")]
    Delete { name: String },
}

#[derive(Subcommand, Debug)]
pub enum DeploymentCmd {
    /// Create a deployment from an SDL file with an escrow deposit
    #[command(
        after_help = "Example: leasehold deployment create examples/gpu-inference.yaml --deposit 5000000uusdc --from alice"
    )]
    Create {
        file: PathBuf,
        /// Escrow deposit, one coin in the pricing denom (e.g. 5000000uusdc)
        #[arg(long)]
        deposit: String,
        /// Deployment sequence number [default: the latest block height]
        #[arg(long)]
        dseq: Option<u64>,
        /// Let anyone match the cheapest bid after the bidding window
        #[arg(long)]
        auto_match: bool,
    },
    /// Update a deployment: its manifest hash from an edited SDL (same groups) and/or auto-matching
    #[command(
        after_help = "Example: leasehold deployment update examples/gpu-inference.yaml --dseq 42 --from alice\nExample: leasehold deployment update --dseq 42 --auto-match off --from alice"
    )]
    Update {
        /// The edited SDL whose manifest hash replaces the stored one
        file: Option<PathBuf>,
        #[arg(long)]
        dseq: u64,
        /// Let anyone match the cheapest bid after the bidding window (on) or not (off)
        #[arg(long, value_enum)]
        auto_match: Option<OnOff>,
    },
    /// Keep a provider out of a deployment: its open bids there are closed and refunded and it
    /// cannot bid again until readmitted (closing a provider's lease does this automatically)
    #[command(
        after_help = "Example: leasehold deployment exclude lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a --dseq 42 --from alice"
    )]
    Exclude {
        /// The provider's address
        provider: String,
        #[arg(long)]
        dseq: u64,
    },
    /// Let an excluded provider bid on a deployment again
    #[command(
        after_help = "Example: leasehold deployment readmit lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a --dseq 42 --from alice"
    )]
    Readmit {
        /// The provider's address
        provider: String,
        #[arg(long)]
        dseq: u64,
    },
    /// List the providers excluded from a deployment
    #[command(after_help = "Example: leasehold deployment excluded --dseq 42 --from alice")]
    Excluded {
        #[arg(long)]
        dseq: u64,
        /// Deployment owner [default: --from]
        #[arg(long)]
        owner: Option<String>,
    },
    /// Close a deployment (its leases end, the rest of the deposit is refunded)
    #[command(after_help = "Example: leasehold deployment close --dseq 42 --from alice")]
    Close {
        #[arg(long)]
        dseq: u64,
    },
    /// Add funds to a deployment's escrow
    #[command(after_help = "Example: leasehold deployment deposit --dseq 1 1000000uusdc --from alice")]
    Deposit {
        #[arg(long)]
        dseq: u64,
        amount: String,
        /// Deployment owner [default: --from]
        #[arg(long)]
        owner: Option<String>,
    },
    /// Show one deployment with its groups
    #[command(after_help = "Example: leasehold deployment get --dseq 42 --from alice")]
    Get {
        #[arg(long)]
        dseq: u64,
        #[arg(long)]
        owner: Option<String>,
    },
    /// List deployments (yours by default)
    #[command(after_help = "Example: leasehold deployment list --owner lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7")]
    List {
        #[arg(long)]
        owner: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct GroupRef {
    #[arg(long)]
    pub dseq: u64,
    #[arg(long, default_value_t = 1)]
    pub gseq: u32,
}

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Pause a group (its lease closes)
    #[command(after_help = "Example: leasehold group pause --dseq 42 --gseq 1 --from alice")]
    Pause(GroupRef),
    /// Relist a paused (or out-of-funds) group
    #[command(after_help = "Example: leasehold group start --dseq 42 --gseq 1 --from alice")]
    Start(GroupRef),
    /// Close a group
    #[command(after_help = "Example: leasehold group close --dseq 42 --gseq 1 --from alice")]
    Close(GroupRef),
}

/// A switch given as `on` or `off`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOff {
    On,
    Off,
}

impl OnOff {
    pub fn is_on(self) -> bool {
        self == OnOff::On
    }
}

#[derive(Subcommand, Debug)]
pub enum BidsCmd {
    /// Bids on a deployment's orders (yours by default), cheapest first
    #[command(after_help = "Example: leasehold bids list --dseq 1 --from alice")]
    List {
        #[arg(long)]
        dseq: Option<u64>,
        #[arg(long)]
        owner: Option<String>,
        /// Only this provider's bids
        #[arg(long)]
        provider: Option<String>,
    },
    /// Refuse an open bid on one of your orders (OWNER/DSEQ/GSEQ/OSEQ/PROVIDER): it is lost, its
    /// collateral refunded, and that provider cannot bid on the order again
    #[command(
        after_help = "Example: leasehold bids reject lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7/42/1/1/lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a --from alice"
    )]
    Reject { bid: String },
}

#[derive(Subcommand, Debug)]
pub enum LeaseCmd {
    /// Accept a bid: OWNER/DSEQ/GSEQ/OSEQ/PROVIDER as `bids list` prints it
    #[command(after_help = "Example: leasehold lease create lease1.../1/1/1/lease1... --from alice")]
    Create { bid: String },
    /// Anyone, once an auto-match order's bidding window has closed: lease its cheapest open bid
    /// (ties: earliest bid, then lowest provider address). ORDER is OWNER/DSEQ/GSEQ/OSEQ
    #[command(
        after_help = "Example: leasehold lease match lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7/42/1/1 --from alice"
    )]
    Match { order: String },
    /// Close a lease (tenant or provider)
    #[command(
        after_help = "Example: leasehold lease close lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7/42/1/1/lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a --from alice"
    )]
    Close {
        lease: String,
        /// Provider's reason: unstable, decommission, unspecified, manifest-timeout
        #[arg(long)]
        reason: Option<String>,
    },
    /// Leases you own (or --provider's)
    #[command(after_help = "Example: leasehold lease list --provider lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a")]
    List {
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        provider: Option<String>,
    },
    /// Provider: withdraw what a lease has earned
    #[command(
        after_help = "Example: leasehold lease withdraw lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7/42/1/1/lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a --from gpu-co"
    )]
    Withdraw { lease: String },
    /// Provider: withdraw from every active lease
    #[command(after_help = "Example: leasehold lease withdraw-all --from gpu-co")]
    WithdrawAll,
}

#[derive(Subcommand, Debug)]
pub enum EscrowCmd {
    /// Balance, accrued payments and runway of a deployment's escrow
    #[command(after_help = "Example: leasehold escrow show --dseq 42 --from alice")]
    Show {
        #[arg(long)]
        dseq: u64,
        #[arg(long)]
        owner: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProviderCmd {
    /// Register as a provider
    #[command(
        after_help = "Example: leasehold provider register --host-uri https://gpu.example.com:8443 --attr region=eu-west --attr gpu=h100 --from gpu-co"
    )]
    Register(ProviderArgs),
    /// Change what you give: host URI, attributes (the given --attr replace the list; --clear-attrs
    /// empties it), email, website; everything not given stays as registered
    #[command(
        after_help = "Example: leasehold provider update --email ops@gpu.example.com --from gpu-co\nExample: leasehold provider update --attr region=eu-west --attr gpu=h100 --from gpu-co"
    )]
    Update(ProviderUpdateArgs),
    /// Leave the registry (refused while you have active leases)
    #[command(after_help = "Example: leasehold provider delete --from gpu-co")]
    Delete,
    /// Show a provider
    #[command(after_help = "Example: leasehold provider get lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a")]
    Get { owner: Option<String> },
    /// Run the bid engine: register/update from the config, bid on the open orders the inventory
    /// fits, track bids and leases, withdraw earnings (runs until Ctrl-C)
    #[command(
        after_help = "Example: leasehold provider run --config examples/providers/h100.yaml --keyring-backend test\n\nThe config format is described in docs/provider.md. `--from` overrides the config's `key`."
    )]
    Run {
        /// Engine config (YAML): key, host URI, attributes, inventory, pricing, bidding
        #[arg(long = "config", value_name = "FILE")]
        engine_config: PathBuf,
        /// Where the engine keeps its state (bids, leases, capacity), overriding the config's
        /// state_dir — one per market, e.g. under the chain's home
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ProviderArgs {
    #[arg(long)]
    pub host_uri: String,
    /// key=value, repeatable
    #[arg(long = "attr")]
    pub attributes: Vec<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
}

#[derive(Args, Debug)]
pub struct ProviderUpdateArgs {
    /// New host URI
    #[arg(long)]
    pub host_uri: Option<String>,
    /// key=value, repeatable: the new attribute list (replaces the registered one)
    #[arg(long = "attr")]
    pub attributes: Vec<String>,
    /// Remove every attribute
    #[arg(long, conflicts_with = "attributes")]
    pub clear_attrs: bool,
    /// New contact email
    #[arg(long)]
    pub email: Option<String>,
    /// New website
    #[arg(long)]
    pub website: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum BidCmd {
    /// Bid on an order: OWNER/DSEQ/GSEQ/OSEQ and a price per block
    #[command(after_help = "Example: leasehold bid create lease1owner.../1/1/1 --price 120uusdc --from gpu-co")]
    Create {
        order: String,
        #[arg(long)]
        price: String,
    },
    /// Withdraw a bid (OWNER/DSEQ/GSEQ/OSEQ/PROVIDER)
    #[command(
        after_help = "Example: leasehold bid close lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7/42/1/1/lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a --from gpu-co"
    )]
    Close { bid: String },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Sign attributes of a provider as an auditor
    #[command(after_help = "Example: leasehold audit sign lease1provider... --attr tier=gold --from auditor")]
    Sign {
        provider: String,
        #[arg(long = "attr", required = true)]
        attributes: Vec<String>,
    },
    /// Delete your attestations of a provider (all, or the given keys)
    #[command(
        after_help = "Example: leasehold audit delete lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a --key tier --from auditor"
    )]
    Delete {
        provider: String,
        #[arg(long = "key")]
        keys: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum WasmCmd {
    /// Upload a wasm file (gzipped on the wire)
    #[command(after_help = "Example: leasehold wasm store artifacts/provider.wasm --from admin")]
    Store { file: PathBuf },
    /// Instantiate a code
    #[command(
        after_help = "Example: leasehold wasm instantiate 4 '{\"count\":0}' --label my-counter --admin lease1..."
    )]
    Instantiate {
        code_id: u64,
        msg: String,
        #[arg(long)]
        label: String,
        #[arg(long)]
        admin: Option<String>,
        /// Instantiate without an admin (no migrations)
        #[arg(long, conflicts_with = "admin")]
        no_admin: bool,
        #[arg(long)]
        amount: Option<String>,
    },
    /// Execute a contract message
    #[command(
        after_help = "Example: leasehold wasm execute lease1contract... '{\"settle\":{\"id\":{...}}}' --from alice"
    )]
    Execute {
        contract: String,
        msg: String,
        #[arg(long)]
        amount: Option<String>,
    },
    /// Migrate a contract to another code (admin only)
    #[command(after_help = "Example: leasehold wasm migrate lease1contract... 5 '{}' --from admin")]
    Migrate { contract: String, code_id: u64, msg: String },
    /// Smart query (JSON)
    #[command(after_help = "Example: leasehold wasm query lease1market... '{\"params\":{}}'")]
    Query { contract: String, msg: String },
}

#[derive(Subcommand, Debug)]
pub enum BankCmd {
    /// Send tokens from --from to an address
    #[command(after_help = "Example: leasehold bank send lease1... 1000000ulease --from alice")]
    Send { to: String, amount: String },
}

#[derive(Subcommand, Debug)]
pub enum QueryCmd {
    /// Account number, sequence and public key
    #[command(after_help = "Example: leasehold query account lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7")]
    Account { address: String },
    /// All balances of an address
    #[command(after_help = "Example: leasehold query balances lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7")]
    Balances { address: String },
    /// A transaction by hash
    #[command(
        after_help = "Example: leasehold query tx 23DCBB4A356450DA7836AEE0D214F67FFD354EBC2B18FFCFC34C2157CF6F59E3"
    )]
    Tx { hash: String },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Print the effective settings
    #[command(after_help = "Example: leasehold config show")]
    Show,
    /// Write the current flags as defaults to the config file
    #[command(
        after_help = "Example: leasehold config init --node http://127.0.0.1:9090 --keyring-backend test --from alice"
    )]
    Init {
        /// The index database `index run` and `index query` use by default (a SQLite file or a
        /// postgres:// URL)
        #[arg(long)]
        index_db: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn leaves(cmd: &clap::Command, path: String, out: &mut Vec<(String, bool)>) {
        let subs: Vec<_> = cmd.get_subcommands().filter(|c| c.get_name() != "help").collect();
        if subs.is_empty() {
            let has = cmd
                .get_after_help()
                .is_some_and(|h| h.to_string().contains("Example:") && h.to_string().contains("leasehold "));
            out.push((path.clone(), has));
        }
        for c in subs {
            leaves(c, format!("{path} {}", c.get_name()), out);
        }
    }

    /// Every command's `--help` ends with an example.
    #[test]
    fn every_command_has_an_example() {
        let mut out = Vec::new();
        leaves(&Cli::command(), "leasehold".into(), &mut out);
        let missing: Vec<_> = out.iter().filter(|(_, has)| !has).map(|(p, _)| p.as_str()).collect();
        assert!(out.len() > 40, "{}", out.len());
        assert!(missing.is_empty(), "commands without an example: {missing:?}");
        Cli::command().debug_assert();
    }
}
