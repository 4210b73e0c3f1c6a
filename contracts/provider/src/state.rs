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

/// Audit records by (provider owner, auditor): the attributes the auditor signed, sorted by key,
/// never empty (an emptied record is removed). Not tied to the provider's registration.
pub const AUDITS: Map<(&Addr, &Addr), Vec<Attribute>> = Map::new("aud");

#[cfg(test)]
mod tests {
    use super::*;

    /// CT-08: namespaces are unique and none is a prefix of another (cw2 uses `contract_info`).
    #[test]
    fn namespaces_are_unique_and_prefix_free() {
        let (market, providers, index, audits) = (MARKET, PROVIDERS, PROVIDER_ATTRS, AUDITS);
        let namespaces: [&[u8]; 5] = [
            market.as_slice(),
            providers.namespace_bytes(),
            index.namespace_bytes(),
            audits.namespace_bytes(),
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
