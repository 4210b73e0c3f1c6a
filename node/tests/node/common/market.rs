//! Marketplace message fixtures (the shapes `tests/marketplace` uses), built from
//! `leasehold-types` so nothing is redefined.

use cosmwasm_std::HexBinary;
use leasehold_types::Attribute;
use leasehold_types::provider::{ExecuteMsg as RegistryMsg, ProviderInfo};

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use leasehold_marketplace_tests::fixtures::cpu_group_in as cpu_group;
#[allow(unused_imports)]
pub use leasehold_marketplace_tests::price;

/// A distinct 32-byte manifest hash per deployment.
pub fn manifest_hash(seed: u64) -> HexBinary {
    let mut h = [7u8; 32];
    h[..8].copy_from_slice(&seed.to_be_bytes());
    HexBinary::from(h.to_vec())
}

/// The registry's `register` message for a provider named `name`.
pub fn register(name: &str) -> RegistryMsg {
    RegistryMsg::Register {
        host_uri: format!("https://{name}.example.com"),
        attributes: vec![Attribute::new("region", "eu-west"), Attribute::new("tier", "community")],
        info: ProviderInfo { email: format!("ops@{name}.example.com"), website: String::new() },
    }
}
