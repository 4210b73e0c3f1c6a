//! The resolved settings of one invocation (flags over the config file over defaults), and
//! what commands need from them: a connected client, the signing key, the marketplace.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::client::tx::{Signer, TxOptions, TxResult};
use crate::client::{ChainClient, ClientConfig, Gas, GasPrice};
use crate::contracts::Marketplace;
use cosmos_sdk_proto::Any;
use leasehold_keys::{Backend, Keyring};

use crate::cli::args::{GlobalArgs, KeyringBackend, OutputFormat};
use crate::cli::config::{ClientFileConfig, default_dir, default_path};
use crate::cli::error::CliError;
use crate::cli::output::Output;
use crate::cli::parse;

pub const PREFIX: &str = "lease";
/// Where scripts put the keyring passphrase (an interactive terminal is asked instead).
pub const PASSPHRASE_ENV: &str = "LEASEHOLD_KEYRING_PASSPHRASE";

pub struct Ctx {
    pub global: GlobalArgs,
    pub file: ClientFileConfig,
    pub config_path: PathBuf,
    pub out: Output,
}

impl Ctx {
    pub fn new(global: GlobalArgs) -> Result<Ctx, CliError> {
        let config_path = global.config.clone().unwrap_or_else(default_path);
        let file = ClientFileConfig::load(&config_path)?;
        let format = match (global.output, file.output.as_deref()) {
            (Some(f), _) => f,
            (None, Some("json")) => OutputFormat::Json,
            (None, Some("text") | None) => OutputFormat::Text,
            (None, Some(other)) => {
                return Err(CliError::usage(format!(
                    "{}: output {other:?} is not text or json",
                    config_path.display()
                )));
            }
        };
        Ok(Ctx { global, file, config_path, out: Output::new(format) })
    }

    pub fn node(&self) -> String {
        self.global.node.clone().or_else(|| self.file.node.clone()).unwrap_or_else(|| "http://127.0.0.1:9090".into())
    }

    fn gas_adjustment(&self) -> f64 {
        self.global.gas_adjustment.or(self.file.gas_adjustment).unwrap_or(1.3)
    }

    pub fn gas(&self) -> Result<Gas, CliError> {
        let adjustment = self.gas_adjustment();
        if !(1.0..=10.0).contains(&adjustment) {
            return Err(CliError::usage(format!("--gas-adjustment {adjustment}: expected a number from 1 to 10")));
        }
        match self.global.gas.clone().or_else(|| self.file.gas.clone()).as_deref() {
            None | Some("auto") => Ok(Gas::Auto { adjustment }),
            Some(n) => n
                .parse::<u64>()
                .ok()
                .filter(|g| *g > 0)
                .map(Gas::Fixed)
                .ok_or_else(|| CliError::usage(format!("--gas {n:?}: expected `auto` or a positive number"))),
        }
    }

    pub fn client_config(&self) -> Result<ClientConfig, CliError> {
        let price = self
            .global
            .gas_prices
            .clone()
            .or_else(|| self.file.gas_prices.clone())
            .unwrap_or_else(|| "0.025ulease".into());
        Ok(ClientConfig {
            endpoint: self.node(),
            chain_id: self.global.chain_id.clone().or_else(|| self.file.chain_id.clone()),
            gas_price: price.parse::<GasPrice>()?,
            gas: self.gas()?,
            timeout: Duration::from_secs(15),
            retries: 3,
            inclusion_timeout: Duration::from_secs(60),
            prefix: PREFIX.into(),
        })
    }

    pub async fn connect(&self) -> Result<ChainClient, CliError> {
        Ok(ChainClient::connect(self.client_config()?).await?)
    }

    pub fn tx_options(&self) -> Result<TxOptions, CliError> {
        let fees = match &self.global.fees {
            None => None,
            Some(f) => Some(parse::coins(f, "--fees")?),
        };
        Ok(TxOptions { memo: String::new(), gas: Some(self.gas()?), fees })
    }

    fn keyring_dir(&self) -> PathBuf {
        self.global
            .keyring_dir
            .clone()
            .or_else(|| self.file.keyring_dir.clone())
            .unwrap_or_else(|| default_dir().join("keyring"))
    }

    fn keyring_backend(&self) -> Result<Backend, CliError> {
        Ok(match (self.global.keyring_backend, self.file.keyring_backend.as_deref()) {
            (Some(KeyringBackend::Test), _) | (None, Some("test")) => Backend::UnencryptedTestOnly,
            (Some(KeyringBackend::File), _) | (None, Some("file") | None) => Backend::File,
            (None, Some(other)) => {
                return Err(CliError::usage(format!("keyring_backend {other:?}: expected file or test")));
            }
        })
    }

    pub fn keyring(&self) -> Result<Keyring, CliError> {
        Keyring::open(self.keyring_dir(), PREFIX, self.keyring_backend()?).map_err(|e| CliError::usage(e.to_string()))
    }

    /// Every setting as this invocation resolves it (flags, then the config file, then the
    /// defaults); `chain_id`, `from` and `market` stay empty when neither sets them (the chain
    /// id and the market are then found on the chain).
    pub fn effective_config(&self) -> Result<ClientFileConfig, CliError> {
        let backend = if self.keyring_backend()?.is_insecure() { KeyringBackend::Test } else { KeyringBackend::File };
        let gas = match self.gas()? {
            Gas::Auto { .. } => "auto".to_string(),
            Gas::Fixed(n) => n.to_string(),
        };
        Ok(ClientFileConfig {
            node: Some(self.node()),
            chain_id: self.global.chain_id.clone().or_else(|| self.file.chain_id.clone()),
            from: self.global.from.clone().or_else(|| self.file.from.clone()),
            keyring_dir: Some(self.keyring_dir()),
            keyring_backend: Some(crate::cli::commands::value_name(&backend)),
            gas: Some(gas),
            gas_adjustment: Some(self.gas_adjustment()),
            gas_prices: Some(self.client_config()?.gas_price.to_string()),
            output: Some(crate::cli::commands::value_name(&self.out.format)),
            market: self.global.market.clone().or_else(|| self.file.market.clone()),
            index_db: self.file.index_db.clone(),
        })
    }

    /// The `--from` key name.
    pub fn from_name(&self) -> Result<String, CliError> {
        self.global
            .from
            .clone()
            .or_else(|| self.file.from.clone())
            .ok_or_else(|| CliError::usage("no signing key: pass --from NAME (see `leasehold keys list`)"))
    }

    /// The `--from` key's address (no passphrase needed).
    pub fn from_address(&self) -> Result<String, CliError> {
        let name = self.from_name()?;
        Ok(self.keyring()?.show(&name).map_err(|e| CliError::usage(e.to_string()))?.address)
    }

    /// An address given on the command line, checked (prefix and checksum) before anything is
    /// sent: a usage error (exit 2) naming `what` otherwise.
    pub fn address_arg(&self, address: &str, what: &str) -> Result<String, CliError> {
        leasehold_keys::decode_address(PREFIX, address)
            .map(|_| address.to_string())
            .map_err(|e| CliError::usage(format!("{what}: {address:?} is not a valid {PREFIX} address: {e}")))
    }

    /// An optional address argument, checked (prefix and checksum) before anything is asked
    /// of the node: a typo is a usage error, never an empty answer.
    pub fn opt_address(&self, address: Option<String>, what: &str) -> Result<Option<String>, CliError> {
        address.map(|a| self.address_arg(&a, what)).transpose()
    }

    /// `owner` (checked), or the `--from` key's address when absent (queries default to your
    /// own things).
    pub fn owner_or_from(&self, owner: Option<String>) -> Result<String, CliError> {
        match owner {
            Some(o) => self.address_arg(&o, "owner"),
            None => self.from_address(),
        }
    }

    /// A passphrase: from the environment, or asked on the terminal.
    pub fn passphrase(&self, prompt: &str) -> Result<String, CliError> {
        if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
            return Ok(p);
        }
        if !std::io::stdin().is_terminal() {
            return Err(CliError::usage(format!("no keyring passphrase: set {PASSPHRASE_ENV} or run in a terminal")));
        }
        rpassword::prompt_password(prompt).map_err(|e| CliError::usage(format!("reading the passphrase: {e}")))
    }

    /// The `--from` key, unlocked.
    pub fn signer(&self) -> Result<Signer, CliError> {
        let name = self.from_name()?;
        let keyring = self.keyring()?;
        if !keyring.contains(&name).map_err(|e| CliError::usage(e.to_string()))? {
            return Err(CliError::usage(format!(
                "key {name:?} not found in {} (see `leasehold keys list`)",
                keyring.dir().display()
            )));
        }
        let pass = if keyring.backend().is_insecure() {
            String::new()
        } else {
            self.passphrase(&format!("Passphrase for key {name}: "))?
        };
        let key = keyring.signing_key(&name, &pass).map_err(|e| CliError::usage(e.to_string()))?;
        Ok(Signer::new(key, PREFIX)?)
    }

    /// The marketplace contracts: `--market`/config, or the chain's first code-1 contract.
    pub async fn marketplace(&self, client: &ChainClient) -> Result<Marketplace, CliError> {
        let market = match self.global.market.clone().or_else(|| self.file.market.clone()) {
            Some(m) => m,
            None => client
                .contracts_by_code(1)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| CliError::usage("no market contract on this chain: pass --market ADDRESS"))?,
        };
        Ok(Marketplace::discover(client, &market).await?)
    }

    /// Signs and sends `msgs` as `signer`, showing progress until the tx is in a block.
    pub async fn send(&self, client: &ChainClient, signer: &mut Signer, msgs: Vec<Any>) -> Result<TxResult, CliError> {
        let opts = self.tx_options()?;
        let mut progress = self.out.progress();
        let result = client.send_tx(signer, msgs, &opts, &mut progress).await;
        self.out.done_waiting();
        Ok(result?)
    }

    /// Asks before signing, unless --yes or not interactive.
    pub fn confirm(&self, what: &str) -> Result<(), CliError> {
        self.ask(what, "confirm transaction before signing and broadcasting")
    }

    /// Asks `question` about `what` (on stderr, so `-o json` output stays clean) and goes on
    /// only on "y". `--yes` skips the question; without a terminal to ask on (a pipe, a script)
    /// nothing happens unless `--yes` was given.
    pub fn ask(&self, what: &str, question: &str) -> Result<(), CliError> {
        if self.global.yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() {
            return Err(CliError::usage(format!(
                "{question}: no terminal to ask on (stdin is not a TTY); add --yes (-y) to go ahead without asking"
            )));
        }
        eprint!("{what}\n{question} [y/N]: ");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| CliError::usage(e.to_string()))?;
        if matches!(line.trim(), "y" | "Y" | "yes") { Ok(()) } else { Err(CliError::usage("cancelled")) }
    }
}
