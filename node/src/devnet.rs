//! The dev chain `leaseholdd init` writes: well-known accounts derived from documented
//! mnemonics (like other chains' dev modes — never use them for real funds), funded in `ulease`
//! and `uusdc`, and the three marketplace contracts stored, pinned and instantiated at genesis.

use std::path::Path;

use cosmwasm_std::{Binary, Coin, Decimal, Uint256};
use leasehold_types::escrow::{EscrowParams, TakeRate};
use leasehold_types::market::{DenomParams, InstantiateMsg, MarketParams};
use leasehold_wasm_host::Bech32Api;

use crate::app::BECH32_PREFIX;
use crate::auth::accounts::module_address;
use crate::error::NodeError;
use crate::genesis::{
    AppState, AuthGenesis, BankGenesis, Genesis, GenesisBalance, GenesisCode, GenesisContract, RawJson, WasmGenesis,
};
use crate::tx::TxLimits;

/// The staking/fee denom.
pub const DENOM: &str = crate::auth::FEE_DENOM;
/// The second denom, a stable unit for pricing leases.
pub const STABLE_DENOM: &str = "uusdc";
pub const DEV_CHAIN_ID: &str = "leasehold-dev-1";
/// Each dev account's genesis balance: 1,000,000 LEASE and 1,000,000 USDC.
pub const DEV_BALANCE: u128 = 1_000_000_000_000;

/// A dev account: a name and its BIP-39 mnemonic (HD path m/44'/118'/0'/0/0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevAccount {
    pub name: &'static str,
    pub mnemonic: &'static str,
}

/// The dev accounts, in genesis order. `admin` may upload code and administers the market.
pub const DEV_ACCOUNTS: [DevAccount; 5] = [
    DevAccount {
        name: "admin",
        mnemonic: "close key hidden shock school cream century orphan mimic absorb banana junk",
    },
    DevAccount { name: "tenant", mnemonic: "rare undo idea swear indoor retire limit drum joy beyond develop foam" },
    DevAccount {
        name: "provider-gpu",
        mnemonic: "popular glimpse appear fresh oven pony floor cram amateur double unaware page",
    },
    DevAccount {
        name: "provider-cpu",
        mnemonic: "purpose surface best popular boring rural deliver wagon elder biology adapt weather",
    },
    DevAccount {
        name: "auditor",
        mnemonic: "silk assault horn wait forward model gospel fancy harsh sock indoor chalk",
    },
];

impl DevAccount {
    pub fn signing_key(&self) -> leasehold_keys::SigningKey {
        // The constants above are valid mnemonics (a unit test derives every one).
        leasehold_keys::SigningKey::from_mnemonic(self.mnemonic, "", 0)
            .unwrap_or_else(|e| panic!("dev mnemonic {}: {e}", self.name))
    }

    pub fn address(&self) -> String {
        self.signing_key().address(BECH32_PREFIX).unwrap_or_else(|e| panic!("dev address {}: {e}", self.name))
    }
}

pub fn dev_account(name: &str) -> Option<DevAccount> {
    DEV_ACCOUNTS.iter().copied().find(|a| a.name == name)
}

/// The marketplace contracts in code-id order.
pub const CONTRACTS: [&str; 3] = ["market", "escrow", "provider"];

/// Where the market's escrow take goes: the `community_pool` module address.
pub fn community_pool() -> String {
    module_address(&Bech32Api::new(BECH32_PREFIX).unwrap_or_default(), "community_pool")
}

/// The market parameters of the dev chain.
pub fn dev_market_params() -> MarketParams {
    let denom = |d: &str| DenomParams {
        denom: d.into(),
        min_deposit: Uint256::from(5_000_000u128),
        bid_min_deposit: Uint256::from(500_000u128),
    };
    MarketParams {
        denoms: vec![denom(DENOM), denom(STABLE_DENOM)],
        max_bids_per_order: 20,
        bidding_window: 5,
        order_expiry: 600,
    }
}

/// The dev genesis: dev accounts funded, the admin allowed to upload code, and market (code 1),
/// escrow (2) and provider registry (3) stored from `artifacts_dir`, pinned, and the market
/// instantiated (it instantiates the escrow and the registry).
pub fn dev_genesis(artifacts_dir: &Path, chain_id: &str, genesis_time: &str) -> Result<Genesis, NodeError> {
    let admin = DEV_ACCOUNTS[0].address();
    let mut codes = Vec::new();
    for name in CONTRACTS {
        let path = artifacts_dir.join(format!("{name}.wasm"));
        let bytes = std::fs::read(&path).map_err(|e| {
            NodeError::Genesis(format!("{}: {e} (build the contracts with `make wasm`)", path.display()))
        })?;
        codes.push(GenesisCode {
            name: name.into(),
            creator: admin.clone(),
            wasm_byte_code: Binary::from(bytes),
            pin: true,
        });
    }
    let market = InstantiateMsg {
        admin: Some(admin.clone()),
        params: dev_market_params(),
        escrow_code_id: 2,
        escrow_params: EscrowParams {
            take_rates: vec![TakeRate { denom: DENOM.into(), rate: Decimal::percent(2) }],
            default_take_rate: Decimal::percent(5),
            // Third-party top-ups of at least 0.1 of either dev denom (the owner has no minimum).
            deposit_minimums: vec![],
            default_deposit_minimum: Uint256::from(100_000u128),
            community_pool: community_pool(),
        },
        provider_code_id: 3,
    };
    let balances = DEV_ACCOUNTS
        .iter()
        .map(|a| GenesisBalance {
            address: a.address(),
            coins: vec![Coin::new(DEV_BALANCE, DENOM), Coin::new(DEV_BALANCE, STABLE_DENOM)],
        })
        .collect();
    Ok(Genesis {
        genesis_time: genesis_time.into(),
        chain_id: chain_id.into(),
        initial_height: "1".into(),
        app_hash: String::new(),
        consensus_params: Some(crate::genesis::consensus_params_json(&crate::app::params::BlockParams::default())),
        app_state: AppState {
            auth: AuthGenesis {
                params: TxLimits::default(),
                accounts: DEV_ACCOUNTS.iter().map(|a| a.address()).collect(),
            },
            bank: BankGenesis { balances },
            wasm: WasmGenesis {
                upload_allowlist: vec![admin.clone()],
                codes,
                contracts: vec![GenesisContract {
                    sender: admin.clone(),
                    code_id: 1,
                    label: "leasehold-market".into(),
                    admin: Some(admin),
                    msg: RawJson::of(&market).map_err(|e| NodeError::Genesis(e.to_string()))?,
                    funds: vec![],
                }],
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_mnemonics_derive_distinct_lease_addresses() {
        let addrs: Vec<String> = DEV_ACCOUNTS.iter().map(DevAccount::address).collect();
        for a in &addrs {
            assert!(a.starts_with("lease1") && a.len() == 44, "{a}");
        }
        let mut unique = addrs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), DEV_ACCOUNTS.len());
    }
}
