//! Storage layout. Every namespace is short, unique and no namespace is a prefix of another.

use cosmwasm_std::{Addr, Empty};
use cw_storage_plus::{Item, Map};
use leasehold_types::escrow::{Account, Config, Depositor, Payment};

/// Market, admin and params.
pub const CONFIG: Item<Config> = Item::new("cfg");
/// The admin proposed by `ProposeAdmin`, until it accepts.
pub const PENDING_ADMIN: Item<Addr> = Item::new("pad");
/// Accounts by `AccountId::key()`.
pub const ACCOUNTS: Map<&str, Account> = Map::new("acc");
/// Depositor entries of each account, in deposit order (at most `MAX_DEPOSITORS`).
pub const DEPOSITORS: Map<&str, Vec<Depositor>> = Map::new("dep");
/// Payments by (account key, payment xid), whatever their state.
pub const PAYMENTS: Map<(&str, &str), Payment> = Map::new("pay");
/// The open payments of each account, (account key, payment xid); at most `MAX_PAYMENTS` per
/// account, so an overdraft touches a bounded set.
pub const OPEN_PAYMENTS: Map<(&str, &str), Empty> = Map::new("opn");
/// Open payments by payee: (payee, account key, payment xid).
pub const PAYEE_PAYMENTS: Map<(&Addr, &str, &str), Empty> = Map::new("pye");

/// Every namespace used above, for the uniqueness test.
pub const NAMESPACES: [&str; 7] = ["cfg", "acc", "dep", "pay", "opn", "pye", "pad"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_unique_and_prefix_free() {
        let actual: Vec<Vec<u8>> = vec![
            CONFIG.as_slice().to_vec(),
            ACCOUNTS.namespace_bytes().to_vec(),
            DEPOSITORS.namespace_bytes().to_vec(),
            PAYMENTS.namespace_bytes().to_vec(),
            OPEN_PAYMENTS.namespace_bytes().to_vec(),
            PAYEE_PAYMENTS.namespace_bytes().to_vec(),
            PENDING_ADMIN.as_slice().to_vec(),
        ];
        assert_eq!(actual.len(), NAMESPACES.len());
        for (a, b) in actual.iter().zip(NAMESPACES.iter()) {
            assert_eq!(a.as_slice(), b.as_bytes());
        }
        // cw2 keeps its version under "contract_info".
        let mut all: Vec<&[u8]> = actual.iter().map(Vec::as_slice).collect();
        all.push(b"contract_info");
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                if i != j {
                    assert!(!b.starts_with(a), "{:?} is a prefix of {:?}", a, b);
                }
            }
        }
    }
}
