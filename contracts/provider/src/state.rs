//! Every storage constant of the contract, with short unique namespaces.

use cosmwasm_std::Addr;
use cw_storage_plus::{Item, Map};
use leasehold_types::Attribute;
use leasehold_types::provider::Provider;

/// The market contract asked for a provider's active lease count before it is deleted.
pub const MARKET: Item<Addr> = Item::new("mkt");

/// Registered providers by owner address.
pub const PROVIDERS: Map<&Addr, Provider> = Map::new("prv");

/// Secondary index of [`PROVIDERS`]: one entry per (attribute key, attribute value, provider)
/// a provider declares. Serves the attribute filter of the `Providers` query without a scan.
/// Kept in step with `PROVIDERS` by every register, update and delete.
pub const PROVIDER_ATTRS: Map<(&str, &str, &Addr), ()> = Map::new("pat");

/// Audit records by (provider owner, registration generation, auditor): the attributes the
/// auditor signed, sorted by key, never empty (an emptied record is removed). Only the current
/// generation's records count, so audits do not survive a provider's `Delete` into a later
/// re-registration (O(1): nothing is iterated at delete).
pub const AUDITS: Map<(&Addr, u64, &Addr), Vec<Attribute>> = Map::new("aug");

/// How many times each provider address was deleted: its current registration generation
/// (absent = 0).
pub const GENERATIONS: Map<&Addr, u64> = Map::new("gen");

/// The current registration generation of `owner`.
pub fn generation(storage: &dyn cosmwasm_std::Storage, owner: &Addr) -> cosmwasm_std::StdResult<u64> {
    Ok(GENERATIONS.may_load(storage, owner)?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CT-08: namespaces are unique and none is a prefix of another (cw2 uses `contract_info`).
    #[test]
    fn namespaces_are_unique_and_prefix_free() {
        let (market, providers, index, audits, generations) = (MARKET, PROVIDERS, PROVIDER_ATTRS, AUDITS, GENERATIONS);
        let namespaces: [&[u8]; 6] = [
            market.as_slice(),
            providers.namespace_bytes(),
            index.namespace_bytes(),
            audits.namespace_bytes(),
            generations.namespace_bytes(),
            b"contract_info",
        ];
        for (i, a) in namespaces.iter().enumerate() {
            for (j, b) in namespaces.iter().enumerate() {
                if i != j {
                    assert!(
                        !b.starts_with(a),
                        "{:?} is a prefix of {:?}",
                        String::from_utf8_lossy(a),
                        String::from_utf8_lossy(b)
                    );
                }
            }
        }
    }
}
