//! Balances: the [`Bank`] the host moves funds with, and [`KvBank`], which keeps them in the state.
//!
//! The host hands the bank a gas-metered view of the bank's namespace in the shared state, so
//! bank writes live in the same branches as contract writes: a failed submessage or call rolls
//! its transfers back with everything else. A node implements [`Bank`] over its bank module.

use std::collections::BTreeMap;

use cosmwasm_std::{Coin, Event, Uint256};

use crate::api::Bech32Api;
use crate::gas::OutOfGas;
use crate::kv::{GasKv, KvStore};
use crate::store::Prefixed;

/// The host's namespace for the bank in the shared [`crate::store::Store`].
pub const BANK_STORE: &[u8] = b"bank/";

/// Bank failures; codes are the SDK's (codespace `sdk`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("spendable balance {available} is smaller than {required}: insufficient funds")]
    InsufficientFunds { available: String, required: String },
    #[error("{0}: invalid coins")]
    InvalidCoins(String),
    #[error("{0}: invalid address")]
    InvalidAddress(String),
    #[error(transparent)]
    OutOfGas(#[from] OutOfGas),
}

impl BankError {
    /// ABCI `(codespace, code)`.
    pub fn abci_code(&self) -> (&'static str, u32) {
        match self {
            BankError::InsufficientFunds { .. } => ("sdk", 5),
            BankError::InvalidCoins(_) => ("sdk", 10),
            BankError::InvalidAddress(_) => ("sdk", 7),
            BankError::OutOfGas(_) => ("sdk", 11),
        }
    }
}

/// What the host needs from a bank. Addresses are bech32 strings; `coins` are normalised
/// (sorted by denom, no duplicates, no zero amounts) by the host. `kv` is the metered bank
/// namespace; through [`GasKv::view`] an implementation can reach other modules' state under
/// the same meter (a node creates the recipient's account on a transfer).
pub trait Bank: Send + Sync {
    fn balance(&self, kv: &mut GasKv, address: &str, denom: &str) -> Result<Uint256, BankError>;
    fn supply(&self, kv: &mut GasKv, denom: &str) -> Result<Uint256, BankError>;
    /// Moves `coins` from `from` to `to`; returns the SDK's events for it.
    fn send(&self, kv: &mut GasKv, from: &str, to: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError>;
    /// Creates `coins` in `to` (genesis and tests).
    fn mint(&self, kv: &mut GasKv, to: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError>;
    /// Called when a contract is instantiated at `address`, before its funds arrive (wasmd
    /// creates the contract's account there). Nothing by default.
    fn on_contract_created(&self, _kv: &mut GasKv, _address: &str) -> Result<(), BankError> {
        Ok(())
    }
    /// Destroys `coins` held by `from` (`BankMsg::Burn`).
    fn burn(&self, kv: &mut GasKv, from: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError>;
}

/// SDK `Coins.String()`: `100ulease,5uatom`.
pub fn coins_string(coins: &[Coin]) -> String {
    coins.iter().map(|c| format!("{}{}", c.amount, c.denom)).collect::<Vec<_>>().join(",")
}

/// SDK denom syntax: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(denom: &str) -> Result<(), BankError> {
    let mut chars = denom.chars();
    let ok = (3..=128).contains(&denom.len())
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    if ok { Ok(()) } else { Err(BankError::InvalidCoins(format!("invalid denom: {denom}"))) }
}

/// SDK `Coins.Validate`: sorted by denom, unique, positive, valid denoms.
pub fn validate_coins(coins: &[Coin]) -> Result<(), BankError> {
    for (i, c) in coins.iter().enumerate() {
        validate_denom(&c.denom)?;
        if c.amount.is_zero() {
            return Err(BankError::InvalidCoins(format!("coin {}{} amount is not positive", c.amount, c.denom)));
        }
        if i > 0 && coins[i - 1].denom >= c.denom {
            return Err(BankError::InvalidCoins(format!(
                "{}: coins are not sorted or have duplicates",
                coins_string(coins)
            )));
        }
    }
    Ok(())
}

/// What the SDK makes of coins a contract sends (`Coins.Add` of each): merged, sorted, zero dropped.
pub fn normalize_coins(coins: &[Coin]) -> Result<Vec<Coin>, BankError> {
    let mut merged: BTreeMap<String, Uint256> = BTreeMap::new();
    for c in coins {
        validate_denom(&c.denom)?;
        let e = merged.entry(c.denom.clone()).or_default();
        *e = e.checked_add(c.amount).map_err(|_| BankError::InvalidCoins("overflow".into()))?;
    }
    Ok(merged.into_iter().filter(|(_, a)| !a.is_zero()).map(|(denom, amount)| Coin { denom, amount }).collect())
}

/// Balances and supply kept in the bank namespace with the SDK bank's key layout:
/// `0x02 | len(addr) | addr | denom -> amount` and `0x00 | denom -> supply`, amounts as decimal strings.
#[derive(Clone, Debug, Default)]
pub struct KvBank {
    api: Bech32Api,
}

impl KvBank {
    pub fn new(api: Bech32Api) -> Self {
        Self { api }
    }

    fn balance_key(&self, address: &str, denom: &str) -> Result<Vec<u8>, BankError> {
        let canonical = self.api.canonicalize(address).map_err(|e| BankError::InvalidAddress(e.to_string()))?;
        let mut k = Vec::with_capacity(2 + canonical.len() + denom.len());
        k.push(0x02);
        k.push(canonical.len() as u8);
        k.extend_from_slice(&canonical);
        k.extend_from_slice(denom.as_bytes());
        Ok(k)
    }

    /// Every balance of `address`, sorted by denom (unmetered: the query service's read).
    pub fn all_balances(&self, bank: &Prefixed, address: &str) -> Result<Vec<Coin>, BankError> {
        let prefix = self.balance_key(address, "")?;
        let end = crate::store::prefix_end(&prefix);
        bank.range(Some(&prefix), end.as_deref(), cosmwasm_std::Order::Ascending)
            .map(|(k, v)| {
                let denom = String::from_utf8(k[prefix.len()..].to_vec());
                let amount = String::from_utf8(v).ok().and_then(|s| s.parse::<Uint256>().ok());
                match (denom, amount) {
                    (Ok(denom), Some(amount)) => Ok(Coin { denom, amount }),
                    _ => Err(BankError::InvalidCoins("corrupt balance".into())),
                }
            })
            .collect()
    }

    fn supply_key(denom: &str) -> Vec<u8> {
        [&[0x00][..], denom.as_bytes()].concat()
    }

    fn read(kv: &mut dyn KvStore, key: &[u8]) -> Result<Uint256, BankError> {
        match kv.get(key)? {
            None => Ok(Uint256::zero()),
            Some(b) => String::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| BankError::InvalidCoins("corrupt balance".into())),
        }
    }

    fn write(kv: &mut dyn KvStore, key: &[u8], amount: Uint256) -> Result<(), BankError> {
        if amount.is_zero() {
            kv.remove(key)?;
        } else {
            kv.set(key, amount.to_string().as_bytes())?;
        }
        Ok(())
    }

    fn sub(&self, kv: &mut dyn KvStore, address: &str, coins: &[Coin]) -> Result<(), BankError> {
        for c in coins {
            let key = self.balance_key(address, &c.denom)?;
            let have = Self::read(kv, &key)?;
            let left = have.checked_sub(c.amount).map_err(|_| BankError::InsufficientFunds {
                available: format!("{have}{}", c.denom),
                required: format!("{}{}", c.amount, c.denom),
            })?;
            Self::write(kv, &key, left)?;
        }
        Ok(())
    }

    fn add(&self, kv: &mut dyn KvStore, address: &str, coins: &[Coin]) -> Result<(), BankError> {
        for c in coins {
            let key = self.balance_key(address, &c.denom)?;
            let have = Self::read(kv, &key)?;
            let sum = have.checked_add(c.amount).map_err(|_| BankError::InvalidCoins("balance overflow".into()))?;
            Self::write(kv, &key, sum)?;
        }
        Ok(())
    }

    fn change_supply(kv: &mut dyn KvStore, coins: &[Coin], up: bool) -> Result<(), BankError> {
        for c in coins {
            let key = Self::supply_key(&c.denom);
            let have = Self::read(kv, &key)?;
            let new = if up { have.checked_add(c.amount) } else { have.checked_sub(c.amount) }
                .map_err(|_| BankError::InvalidCoins("supply out of range".into()))?;
            Self::write(kv, &key, new)?;
        }
        Ok(())
    }
}

impl Bank for KvBank {
    fn balance(&self, kv: &mut GasKv, address: &str, denom: &str) -> Result<Uint256, BankError> {
        let key = self.balance_key(address, denom)?;
        Self::read(kv, &key)
    }

    fn supply(&self, kv: &mut GasKv, denom: &str) -> Result<Uint256, BankError> {
        Self::read(kv, &Self::supply_key(denom))
    }

    fn send(&self, kv: &mut GasKv, from: &str, to: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError> {
        validate_coins(coins)?;
        self.balance_key(to, "x")?;
        self.sub(kv, from, coins)?;
        self.add(kv, to, coins)?;
        let amount = coins_string(coins);
        Ok(vec![
            Event::new("coin_spent").add_attribute("spender", from).add_attribute("amount", &amount),
            Event::new("coin_received").add_attribute("receiver", to).add_attribute("amount", &amount),
            Event::new("transfer")
                .add_attribute("recipient", to)
                .add_attribute("sender", from)
                .add_attribute("amount", &amount),
            Event::new("message").add_attribute("sender", from),
        ])
    }

    fn mint(&self, kv: &mut GasKv, to: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError> {
        validate_coins(coins)?;
        self.add(kv, to, coins)?;
        Self::change_supply(kv, coins, true)?;
        let amount = coins_string(coins);
        Ok(vec![
            Event::new("coinbase").add_attribute("minter", to).add_attribute("amount", &amount),
            Event::new("coin_received").add_attribute("receiver", to).add_attribute("amount", &amount),
        ])
    }

    fn burn(&self, kv: &mut GasKv, from: &str, coins: &[Coin]) -> Result<Vec<Event>, BankError> {
        validate_coins(coins)?;
        self.sub(kv, from, coins)?;
        Self::change_supply(kv, coins, false)?;
        let amount = coins_string(coins);
        Ok(vec![
            Event::new("coin_spent").add_attribute("spender", from).add_attribute("amount", &amount),
            Event::new("burn").add_attribute("burner", from).add_attribute("amount", &amount),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gas::GasMeter;
    use crate::kv::GasKv;
    use crate::store::{Prefixed, Store};
    use cosmwasm_std::coin;

    #[test]
    fn send_moves_and_rolls_back_with_the_branch() {
        let store = Store::new();
        let api = Bech32Api::default();
        let bank = KvBank::new(api.clone());
        let a = api.humanize(&[1; 20]).unwrap();
        let b = api.humanize(&[2; 20]).unwrap();
        let mut kv = GasKv::new(Prefixed::new(store.clone(), BANK_STORE), GasMeter::new(u64::MAX));
        bank.mint(&mut kv, &a, &[coin(100, "ulease")]).unwrap();
        let branch = store.branch();
        bank.send(&mut kv, &a, &b, &[coin(40, "ulease")]).unwrap();
        assert_eq!(bank.balance(&mut kv, &b, "ulease").unwrap(), Uint256::from(40u32));
        drop(branch);
        assert_eq!(bank.balance(&mut kv, &b, "ulease").unwrap(), Uint256::zero());
        assert_eq!(bank.balance(&mut kv, &a, "ulease").unwrap(), Uint256::from(100u32));
        let err = bank.send(&mut kv, &a, &b, &[coin(101, "ulease")]).unwrap_err();
        assert_eq!(err.abci_code(), ("sdk", 5));
        assert_eq!(bank.supply(&mut kv, "ulease").unwrap(), Uint256::from(100u32));
    }

    #[test]
    fn coin_rules() {
        assert!(validate_coins(&[coin(1, "aaa"), coin(1, "bbb")]).is_ok());
        assert!(validate_coins(&[coin(1, "bbb"), coin(1, "aaa")]).is_err());
        assert!(validate_coins(&[coin(0, "aaa")]).is_err());
        assert!(validate_coins(&[coin(1, "a")]).is_err());
        let n = normalize_coins(&[coin(2, "bbb"), coin(0, "ccc"), coin(1, "aaa"), coin(3, "bbb")]).unwrap();
        assert_eq!(n, vec![coin(1, "aaa"), coin(5, "bbb")]);
        assert_eq!(coins_string(&n), "1aaa,5bbb");
    }
}
