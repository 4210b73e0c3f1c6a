//! Account records in the `acc/` namespace:
//! `0x01 | address bytes -> Any(BaseAccount | ModuleAccount)` and `0x02 -> next account number`
//! (u64 BE). Account numbers are global and sequential from 0, assigned when an account is
//! created: in genesis order, on the first transfer to an address, or on first use.

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount};
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use leasehold_wasm_host::kv::KvStore;
use leasehold_wasm_host::{Bech32Api, HostError};
use prost::Message;

use crate::error::TxError;
use crate::tx::decode::SECP256K1_PUBKEY;

/// The auth module's namespace in the state.
pub const AUTH_STORE: &[u8] = b"acc/";
/// The module account fees are paid to.
pub const FEE_COLLECTOR: &str = "fee_collector";

pub const BASE_ACCOUNT: &str = "/cosmos.auth.v1beta1.BaseAccount";
pub const MODULE_ACCOUNT: &str = "/cosmos.auth.v1beta1.ModuleAccount";

const ACCOUNT_PREFIX: u8 = 0x01;
const NEXT_NUMBER_KEY: &[u8] = &[0x02];

/// An account as the chain stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub address: String,
    pub pub_key: Option<[u8; 33]>,
    pub account_number: u64,
    pub sequence: u64,
    /// `Some(name)` for a module account (`fee_collector`).
    pub module: Option<String>,
}

/// The SDK's module account address: `sha256(name)[..20]` (leasehold-keys' derivation).
pub fn module_address(api: &Bech32Api, name: &str) -> String {
    leasehold_keys::module_address(api.prefix(), name).unwrap_or_default()
}

fn account_key(canonical: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + canonical.len());
    k.push(ACCOUNT_PREFIX);
    k.extend_from_slice(canonical);
    k
}

fn corrupt(e: impl std::fmt::Display) -> TxError {
    TxError::Host(HostError::Internal(format!("corrupt account record: {e}")))
}

impl Account {
    fn base(&self) -> BaseAccount {
        BaseAccount {
            address: self.address.clone(),
            pub_key: self
                .pub_key
                .map(|k| Any { type_url: SECP256K1_PUBKEY.into(), value: PubKey { key: k.to_vec() }.encode_to_vec() }),
            account_number: self.account_number,
            sequence: self.sequence,
        }
    }

    /// The account as `cosmos.auth.v1beta1.Query/Account` returns it.
    pub fn to_any(&self) -> Any {
        match &self.module {
            None => Any { type_url: BASE_ACCOUNT.into(), value: self.base().encode_to_vec() },
            Some(name) => Any {
                type_url: MODULE_ACCOUNT.into(),
                value: ModuleAccount { base_account: Some(self.base()), name: name.clone(), permissions: vec![] }
                    .encode_to_vec(),
            },
        }
    }

    fn from_any(any: &Any) -> Result<Account, TxError> {
        let (base, module) = match any.type_url.as_str() {
            BASE_ACCOUNT => (BaseAccount::decode(any.value.as_slice()).map_err(corrupt)?, None),
            MODULE_ACCOUNT => {
                let m = ModuleAccount::decode(any.value.as_slice()).map_err(corrupt)?;
                (m.base_account.unwrap_or_default(), Some(m.name))
            }
            other => return Err(corrupt(other)),
        };
        let pub_key = match base.pub_key {
            None => None,
            Some(any) => {
                let pk = PubKey::decode(any.value.as_slice()).map_err(corrupt)?;
                Some(pk.key.as_slice().try_into().map_err(corrupt)?)
            }
        };
        Ok(Account {
            address: base.address,
            pub_key,
            account_number: base.account_number,
            sequence: base.sequence,
            module,
        })
    }
}

/// Reads and writes accounts through a (metered) view of the `acc/` namespace.
pub struct AccountKeeper<'a> {
    pub api: &'a Bech32Api,
}

impl AccountKeeper<'_> {
    fn canonical(&self, address: &str) -> Result<Vec<u8>, TxError> {
        self.api.canonicalize(address).map_err(|e| TxError::InvalidAddress(format!("{address}: {e}")))
    }

    pub fn get(&self, kv: &mut dyn KvStore, address: &str) -> Result<Option<Account>, TxError> {
        let key = account_key(&self.canonical(address)?);
        match kv.get(&key).map_err(out_of_gas)? {
            None => Ok(None),
            Some(bytes) => {
                let any = Any::decode(bytes.as_slice()).map_err(corrupt)?;
                Account::from_any(&any).map(Some)
            }
        }
    }

    pub fn set(&self, kv: &mut dyn KvStore, account: &Account) -> Result<(), TxError> {
        let key = account_key(&self.canonical(&account.address)?);
        kv.set(&key, &account.to_any().encode_to_vec()).map_err(out_of_gas)
    }

    fn next_number(&self, kv: &mut dyn KvStore) -> Result<u64, TxError> {
        let n = match kv.get(NEXT_NUMBER_KEY).map_err(out_of_gas)? {
            None => 0,
            Some(b) => u64::from_be_bytes(b.as_slice().try_into().map_err(corrupt)?),
        };
        kv.set(NEXT_NUMBER_KEY, &(n + 1).to_be_bytes()).map_err(out_of_gas)?;
        Ok(n)
    }

    /// The account at `address`, created with the next account number if it does not exist.
    pub fn get_or_create(&self, kv: &mut dyn KvStore, address: &str, module: Option<&str>) -> Result<Account, TxError> {
        if let Some(a) = self.get(kv, address)? {
            return Ok(a);
        }
        let account = Account {
            address: address.to_string(),
            pub_key: None,
            account_number: self.next_number(kv)?,
            sequence: 0,
            module: module.map(str::to_string),
        };
        self.set(kv, &account)?;
        Ok(account)
    }
}

fn out_of_gas(e: leasehold_wasm_host::gas::OutOfGas) -> TxError {
    TxError::Host(HostError::OutOfGas(e))
}
