//! Marketplace message fixtures (the shapes `tests/marketplace` uses), built from
//! `leasehold-types` so nothing is redefined.

use cosmwasm_std::{DecCoin, Decimal256, HexBinary};
use leasehold_types::Attribute;
use leasehold_types::provider::{ExecuteMsg as RegistryMsg, ProviderInfo};
use leasehold_types::resources::{
    Endpoint, EndpointKind, GIB, GpuRequest, GroupSpec, PlacementRequirements, ResourceUnit, StorageVolume,
};

/// `amount` micro-units of `denom` per block.
pub fn price(amount: u128, denom: &str) -> DecCoin {
    DecCoin::new(Decimal256::from_atomics(amount, 0).expect("price"), denom)
}

/// A CPU web service: `count` replicas of 1 CPU / 1 GiB at `unit_price` per replica per block.
pub fn cpu_group(name: &str, unit_price: u128, count: u32, denom: &str) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        requirements: PlacementRequirements::default(),
        resources: vec![ResourceUnit {
            id: 1,
            cpu_millis: 1000,
            memory_bytes: GIB,
            storage: vec![StorageVolume { name: "root".into(), size_bytes: GIB, class: None, persistent: false }],
            gpu: GpuRequest::default(),
            endpoints: vec![Endpoint { kind: EndpointKind::SharedHttp, sequence_number: 0 }],
            count,
            price: price(unit_price, denom),
        }],
    }
}

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
