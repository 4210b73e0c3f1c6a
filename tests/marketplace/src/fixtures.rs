//! Group specs and provider attribute sets shared by the tests.

use cosmwasm_std::coin;
use leasehold_types::Attribute;
use leasehold_types::resources::{
    Endpoint, EndpointKind, GIB, GpuModel, GpuRequest, GroupSpec, PlacementRequirements, ResourceUnit, StorageVolume,
};

use crate::{DENOM, price};

/// A CPU web service: `count` replicas of 1 CPU / 1 GiB at `unit_price` per replica per block.
pub fn cpu_group(name: &str, unit_price: u128, count: u32) -> GroupSpec {
    cpu_group_in(name, unit_price, count, DENOM)
}

/// [`cpu_group`] priced in `denom`.
pub fn cpu_group_in(name: &str, unit_price: u128, count: u32, denom: &str) -> GroupSpec {
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

/// A GPU inference group needing one H100 (80Gi) per replica, persistent beta2 storage, placed
/// in `region`.
pub fn gpu_group(name: &str, unit_price: u128, count: u32, region: &str) -> GroupSpec {
    let mut g = cpu_group(name, unit_price, count);
    g.requirements.attributes = vec![Attribute::new("region", region)];
    let unit = &mut g.resources[0];
    unit.cpu_millis = 8000;
    unit.memory_bytes = 64 * GIB;
    unit.gpu = GpuRequest {
        units: 1,
        models: vec![GpuModel {
            vendor: "nvidia".into(),
            model: "h100".into(),
            ram: Some("80Gi".into()),
            interface: None,
        }],
    };
    unit.storage.push(StorageVolume {
        name: "data".into(),
        size_bytes: 100 * GIB,
        class: Some("beta2".into()),
        persistent: true,
    });
    g
}

/// Attributes of a provider with H100 GPUs and beta2 storage in `region`.
pub fn gpu_provider_attrs(region: &str) -> Vec<Attribute> {
    vec![
        Attribute::new("region", region),
        Attribute::new("tier", "datacenter"),
        Attribute::new("capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm5", "true"),
        Attribute::new("capabilities/storage/1/class", "beta2"),
        Attribute::new("capabilities/storage/1/persistent", "true"),
    ]
}

/// Attributes of a CPU-only provider in `region`.
pub fn cpu_provider_attrs(region: &str) -> Vec<Attribute> {
    vec![Attribute::new("region", region), Attribute::new("tier", "community")]
}

/// The default bid collateral (the minimum).
pub fn collateral() -> cosmwasm_std::Coin {
    coin(500_000, DENOM)
}
