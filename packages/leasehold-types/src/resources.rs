//! Group specifications: placement requirements and resource units, their bounds, the order
//! ceiling price, and capability matching (GPU model, storage class) against provider attributes.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{DecCoin, Decimal256, Uint256};

use crate::attributes::{Attribute, SignedBy, validate_attributes};
use crate::validation::{ValidationError, check_text};

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;
pub const TIB: u64 = 1 << 40;

/// CPU per replica, in millicores.
pub const CPU_MILLIS_MIN: u64 = 10;
pub const CPU_MILLIS_MAX: u64 = 384_000;
/// GPUs per replica.
pub const GPU_UNITS_MAX: u32 = 24;
/// Memory per replica, in bytes.
pub const MEMORY_MIN: u64 = MIB;
pub const MEMORY_MAX: u64 = 2 * TIB;
/// Size of one storage volume, in bytes.
pub const STORAGE_MIN: u64 = 5 * MIB;
pub const STORAGE_MAX: u64 = 32 * TIB;
/// Replicas of one resource unit (Akash declares this limit but does not enforce it).
pub const COUNT_MAX: u32 = 50;
/// Resource units per group (declared, not enforced by Akash).
pub const UNITS_PER_GROUP_MAX: usize = 20;
/// Groups per deployment (declared, not enforced by Akash).
pub const GROUPS_MAX: usize = 20;
/// Storage volumes per resource unit.
pub const VOLUMES_MAX: usize = 8;
/// Endpoints per resource unit.
pub const ENDPOINTS_MAX: usize = 32;
/// Alternative GPU models one resource unit may accept.
pub const GPU_MODELS_MAX: usize = 8;
/// Price of one replica per block, in micro-units of the denom.
pub const UNIT_PRICE_MAX: u128 = 10_000_000;
/// Longest group or volume name.
pub const NAME_MAX: usize = 64;

/// Storage classes a volume may request (Akash SDL): `ram` must not be persistent, `beta*`
/// must be persistent.
pub const STORAGE_CLASSES: [&str; 5] = ["default", "beta1", "beta2", "beta3", "ram"];

/// One group of a deployment: a name, where it may be placed and what it needs.
#[cw_serde]
pub struct GroupSpec {
    pub name: String,
    pub requirements: PlacementRequirements,
    pub resources: Vec<ResourceUnit>,
}

/// Provider attributes a bid must satisfy (keys may end in `*`) and the auditors that must
/// have signed them.
#[cw_serde]
#[derive(Default)]
pub struct PlacementRequirements {
    pub signed_by: SignedBy,
    pub attributes: Vec<Attribute>,
}

/// `count` replicas of one resource shape, each priced at most `price` per block.
#[cw_serde]
pub struct ResourceUnit {
    /// Positive and unique within the group.
    pub id: u32,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub storage: Vec<StorageVolume>,
    pub gpu: GpuRequest,
    pub endpoints: Vec<Endpoint>,
    pub count: u32,
    /// Maximum price of one replica per block.
    pub price: DecCoin,
}

#[cw_serde]
pub struct StorageVolume {
    pub name: String,
    pub size_bytes: u64,
    /// `None` for ephemeral default storage; otherwise one of [`STORAGE_CLASSES`].
    pub class: Option<String>,
    pub persistent: bool,
}

/// GPUs per replica and the models that are acceptable (any one of them).
#[cw_serde]
#[derive(Default)]
pub struct GpuRequest {
    pub units: u32,
    pub models: Vec<GpuModel>,
}

/// A GPU model requirement. `model` may be `*` (any model of the vendor); `ram` (e.g. `80Gi`)
/// and `interface` (`pcie` or `sxm`) narrow it when set.
#[cw_serde]
pub struct GpuModel {
    pub vendor: String,
    pub model: String,
    pub ram: Option<String>,
    pub interface: Option<String>,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum EndpointKind {
    SharedHttp,
    RandomPort,
    LeasedIp,
}

#[cw_serde]
pub struct Endpoint {
    pub kind: EndpointKind,
    pub sequence_number: u32,
}

fn check_range(field: &str, value: u64, min: u64, max: u64) -> Result<(), ValidationError> {
    if value < min || value > max {
        return Err(ValidationError::out_of_range(field, value, min, max));
    }
    Ok(())
}

fn check_name_token(field: &str, value: &str) -> Result<(), ValidationError> {
    check_text(field, value, true, NAME_MAX)?;
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return Err(ValidationError::invalid(field, value, "only letters, digits, `-`, `_` and `.` are allowed"));
    }
    Ok(())
}

impl GpuModel {
    /// The capability key a provider declares for this model (`capabilities/gpu/vendor/<v>/model/<m>...`).
    fn matches_capability(&self, key: &str) -> bool {
        let Some(rest) = key.strip_prefix("capabilities/gpu/vendor/") else {
            return false;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        // vendor, "model", model, then optional "ram", r, "interface", i
        if parts.len() < 3 || parts[1] != "model" {
            return false;
        }
        if !parts[0].eq_ignore_ascii_case(&self.vendor) {
            return false;
        }
        if self.model != "*" && !parts[2].eq_ignore_ascii_case(&self.model) {
            return false;
        }
        let mut ram = None;
        let mut interface = None;
        let mut i = 3;
        while i + 1 < parts.len() {
            match parts[i] {
                "ram" => ram = Some(parts[i + 1]),
                "interface" => interface = Some(parts[i + 1]),
                _ => return false,
            }
            i += 2;
        }
        if i != parts.len() {
            return false;
        }
        let ram_ok = self.ram.as_deref().is_none_or(|want| ram.is_some_and(|r| r.eq_ignore_ascii_case(want)));
        // `sxm` accepts any SXM generation the provider declares (`sxm4`, `sxm5`).
        let interface_ok = self.interface.as_deref().is_none_or(|want| {
            interface.is_some_and(|have| {
                let (have, want) = (have.to_ascii_lowercase(), want.to_ascii_lowercase());
                have == want || (want == "sxm" && have.starts_with("sxm"))
            })
        });
        ram_ok && interface_ok
    }
}

impl GpuRequest {
    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        check_range(&format!("{field}.units"), self.units.into(), 0, GPU_UNITS_MAX.into())?;
        if self.units == 0 && !self.models.is_empty() {
            return Err(ValidationError::invalid(
                format!("{field}.models"),
                "",
                "models require at least one GPU unit",
            ));
        }
        if self.units > 0 && self.models.is_empty() {
            return Err(ValidationError::empty(format!("{field}.models")));
        }
        if self.models.len() > GPU_MODELS_MAX {
            return Err(ValidationError::too_many(format!("{field}.models"), self.models.len(), GPU_MODELS_MAX));
        }
        for (i, m) in self.models.iter().enumerate() {
            let f = format!("{field}.models[{i}]");
            check_name_token(&format!("{f}.vendor"), &m.vendor)?;
            if m.model != "*" {
                check_name_token(&format!("{f}.model"), &m.model)?;
            }
            if let Some(r) = &m.ram {
                check_name_token(&format!("{f}.ram"), r)?;
            }
            if let Some(iface) = &m.interface
                && !matches!(iface.as_str(), "pcie" | "sxm")
            {
                return Err(ValidationError::invalid(
                    format!("{f}.interface"),
                    iface.clone(),
                    "must be `pcie` or `sxm`",
                ));
            }
        }
        Ok(())
    }

    /// True when no GPU is requested, or the provider declares a capability for one of the
    /// acceptable models.
    pub fn is_satisfied_by(&self, provider: &[Attribute]) -> bool {
        self.units == 0
            || self.models.iter().any(|m| provider.iter().any(|a| a.value == "true" && m.matches_capability(&a.key)))
    }
}

impl StorageVolume {
    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        check_name_token(&format!("{field}.name"), &self.name)?;
        check_range(&format!("{field}.size_bytes"), self.size_bytes, STORAGE_MIN, STORAGE_MAX)?;
        if let Some(class) = &self.class {
            if !STORAGE_CLASSES.contains(&class.as_str()) {
                return Err(ValidationError::invalid(
                    format!("{field}.class"),
                    class.clone(),
                    "must be one of default, beta1, beta2, beta3, ram",
                ));
            }
            if class == "ram" && self.persistent {
                return Err(ValidationError::invalid(
                    format!("{field}.persistent"),
                    "true",
                    "ram storage cannot be persistent",
                ));
            }
            if class.starts_with("beta") && !self.persistent {
                return Err(ValidationError::invalid(
                    format!("{field}.persistent"),
                    "false",
                    "beta storage classes must be persistent",
                ));
            }
        } else if self.persistent {
            return Err(ValidationError::empty(format!("{field}.class")));
        }
        Ok(())
    }

    /// True when the volume needs no special class, or the provider declares a storage
    /// capability group `capabilities/storage/<n>/class = <class>` (with `persistent = true`
    /// alongside when the volume is persistent).
    pub fn is_satisfied_by(&self, provider: &[Attribute]) -> bool {
        let Some(class) = self.class.as_deref().filter(|c| *c != "default") else {
            return true;
        };
        provider.iter().any(|a| {
            let Some(group) = a.key.strip_prefix("capabilities/storage/").and_then(|r| r.strip_suffix("/class")) else {
                return false;
            };
            if a.value != class || group.contains('/') {
                return false;
            }
            let persistent_key = format!("capabilities/storage/{group}/persistent");
            let declared_persistent = provider.iter().any(|p| p.key == persistent_key && p.value == "true");
            declared_persistent == self.persistent
        })
    }
}

impl ResourceUnit {
    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        if self.id == 0 {
            return Err(ValidationError::out_of_range(format!("{field}.id"), 0, 1, u32::MAX));
        }
        check_range(&format!("{field}.cpu_millis"), self.cpu_millis, CPU_MILLIS_MIN, CPU_MILLIS_MAX)?;
        check_range(&format!("{field}.memory_bytes"), self.memory_bytes, MEMORY_MIN, MEMORY_MAX)?;
        check_range(&format!("{field}.count"), self.count.into(), 1, COUNT_MAX.into())?;
        if self.storage.len() > VOLUMES_MAX {
            return Err(ValidationError::too_many(format!("{field}.storage"), self.storage.len(), VOLUMES_MAX));
        }
        for (i, v) in self.storage.iter().enumerate() {
            v.validate(&format!("{field}.storage[{i}]"))?;
            if self.storage[..i].iter().any(|w| w.name == v.name) {
                return Err(ValidationError::duplicate(format!("{field}.storage"), v.name.clone()));
            }
        }
        self.gpu.validate(&format!("{field}.gpu"))?;
        if self.endpoints.len() > ENDPOINTS_MAX {
            return Err(ValidationError::too_many(format!("{field}.endpoints"), self.endpoints.len(), ENDPOINTS_MAX));
        }
        let price_field = format!("{field}.price");
        check_text(&format!("{price_field}.denom"), &self.price.denom, true, 128)?;
        if self.price.amount.is_zero() {
            return Err(ValidationError::invalid(&price_field, "0", "price must be positive"));
        }
        if self.price.amount > Decimal256::from_atomics(UNIT_PRICE_MAX, 0).unwrap_or(Decimal256::MAX) {
            return Err(ValidationError::out_of_range(price_field, self.price.amount, "0", UNIT_PRICE_MAX));
        }
        Ok(())
    }

    /// `price x count`: the most this unit may cost per block.
    pub fn full_price(&self) -> Result<Decimal256, ValidationError> {
        self.price
            .amount
            .checked_mul(Decimal256::from_atomics(self.count, 0).map_err(|_| overflow("price"))?)
            .map_err(|_| overflow("price"))
    }
}

fn overflow(field: &str) -> ValidationError {
    ValidationError::Overflow { field: field.to_string() }
}

impl GroupSpec {
    /// Checks every bound of the group: name, placement, unit count, unit bounds, unique unit
    /// ids, group totals and a single price denom.
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        check_name_token(&format!("{field}.name"), &self.name)?;
        validate_attributes(&format!("{field}.requirements.attributes"), &self.requirements.attributes, true)?;
        self.requirements.signed_by.validate(&format!("{field}.requirements.signed_by"))?;
        if self.resources.is_empty() {
            return Err(ValidationError::empty(format!("{field}.resources")));
        }
        if self.resources.len() > UNITS_PER_GROUP_MAX {
            return Err(ValidationError::too_many(
                format!("{field}.resources"),
                self.resources.len(),
                UNITS_PER_GROUP_MAX,
            ));
        }
        let (mut cpu, mut mem, mut storage, mut gpu) = (0u128, 0u128, 0u128, 0u128);
        for (i, unit) in self.resources.iter().enumerate() {
            let f = format!("{field}.resources[{i}]");
            unit.validate(&f)?;
            if self.resources[..i].iter().any(|u| u.id == unit.id) {
                return Err(ValidationError::duplicate(format!("{field}.resources"), unit.id.to_string()));
            }
            if unit.price.denom != self.resources[0].price.denom {
                return Err(ValidationError::MixedDenoms {
                    field: format!("{f}.price"),
                    expected: self.resources[0].price.denom.clone(),
                    found: unit.price.denom.clone(),
                });
            }
            let n = u128::from(unit.count);
            cpu += u128::from(unit.cpu_millis) * n;
            mem += u128::from(unit.memory_bytes) * n;
            storage += unit.storage.iter().map(|v| u128::from(v.size_bytes)).sum::<u128>() * n;
            gpu += u128::from(unit.gpu.units) * n;
        }
        let max = u128::from(COUNT_MAX);
        for (name, total, limit) in [
            ("cpu_millis", cpu, u128::from(CPU_MILLIS_MAX) * max),
            ("memory_bytes", mem, u128::from(MEMORY_MAX) * max),
            ("storage_bytes", storage, u128::from(STORAGE_MAX) * max),
            ("gpu_units", gpu, u128::from(GPU_UNITS_MAX) * max),
        ] {
            if total > limit {
                return Err(ValidationError::out_of_range(format!("{field}.total_{name}"), total, 0, limit));
            }
        }
        Ok(())
    }

    /// The price denom of the group (all units share it once validated).
    pub fn denom(&self) -> &str {
        self.resources.first().map(|u| u.price.denom.as_str()).unwrap_or("")
    }

    /// The order ceiling: the sum of `price x count` over all units.
    pub fn price(&self) -> Result<DecCoin, ValidationError> {
        let mut total = Decimal256::zero();
        for u in &self.resources {
            total = total.checked_add(u.full_price()?).map_err(|_| overflow("price"))?;
        }
        Ok(DecCoin::new(total, self.denom()))
    }

    /// Total replicas across units.
    pub fn replicas(&self) -> Uint256 {
        self.resources.iter().map(|u| Uint256::from(u.count)).fold(Uint256::zero(), |a, b| a + b)
    }

    /// True when the provider's self-declared capabilities cover every GPU model and storage
    /// class the group asks for.
    pub fn capabilities_satisfied_by(&self, provider: &[Attribute]) -> bool {
        self.resources
            .iter()
            .all(|u| u.gpu.is_satisfied_by(provider) && u.storage.iter().all(|v| v.is_satisfied_by(provider)))
    }
}

/// Validates the groups of a deployment: 1 to [`GROUPS_MAX`] groups, unique names, each group
/// valid, all priced in the same denom.
pub fn validate_groups(groups: &[GroupSpec]) -> Result<(), ValidationError> {
    if groups.is_empty() {
        return Err(ValidationError::empty("groups"));
    }
    if groups.len() > GROUPS_MAX {
        return Err(ValidationError::too_many("groups", groups.len(), GROUPS_MAX));
    }
    for (i, g) in groups.iter().enumerate() {
        let f = format!("groups[{i}]");
        g.validate(&f)?;
        if groups[..i].iter().any(|h| h.name == g.name) {
            return Err(ValidationError::duplicate("groups", g.name.clone()));
        }
        if g.denom() != groups[0].denom() {
            return Err(ValidationError::MixedDenoms {
                field: format!("{f}.resources"),
                expected: groups[0].denom().to_string(),
                found: g.denom().to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn unit(id: u32, price: u128, count: u32) -> ResourceUnit {
        ResourceUnit {
            id,
            cpu_millis: 1000,
            memory_bytes: GIB,
            storage: vec![StorageVolume { name: "root".into(), size_bytes: GIB, class: None, persistent: false }],
            gpu: GpuRequest::default(),
            endpoints: vec![Endpoint { kind: EndpointKind::SharedHttp, sequence_number: 0 }],
            count,
            price: DecCoin::new(Decimal256::from_atomics(price, 0).unwrap(), "ulease"),
        }
    }

    pub fn group(name: &str) -> GroupSpec {
        GroupSpec { name: name.into(), requirements: PlacementRequirements::default(), resources: vec![unit(1, 10, 2)] }
    }

    #[test]
    fn ceiling_is_sum_of_price_times_count() {
        let mut g = group("web");
        g.resources.push(unit(2, 7, 3));
        g.validate("g").unwrap();
        assert_eq!(g.price().unwrap(), DecCoin::new(Decimal256::from_atomics(41u128, 0).unwrap(), "ulease"));
    }

    #[test]
    fn bounds_are_enforced_including_the_ones_akash_forgot() {
        type Mutation = fn(&mut GroupSpec);
        let cases: Vec<(Mutation, &str)> = vec![
            (|g| g.resources[0].cpu_millis = 9, "cpu_millis"),
            (|g| g.resources[0].cpu_millis = CPU_MILLIS_MAX + 1, "cpu_millis"),
            (|g| g.resources[0].memory_bytes = MIB - 1, "memory_bytes"),
            (|g| g.resources[0].storage[0].size_bytes = 5 * MIB - 1, "size_bytes"),
            (|g| g.resources[0].count = 0, "count"),
            (|g| g.resources[0].count = COUNT_MAX + 1, "count"),
            (|g| g.resources[0].id = 0, "id"),
            (|g| g.resources[0].price.amount = Decimal256::zero(), "price"),
            (|g| g.resources[0].price.amount = Decimal256::from_atomics(UNIT_PRICE_MAX + 1, 0).unwrap(), "price"),
            (|g| g.resources[0].gpu.units = GPU_UNITS_MAX + 1, "gpu.units"),
            (|g| g.resources[0].gpu.units = 1, "gpu.models"),
            (|g| g.resources = (1..=21).map(|i| unit(i, 1, 1)).collect(), "resources"),
            (|g| g.resources.push(unit(1, 1, 1)), "resources"),
            (|g| g.resources[0].storage[0].persistent = true, "class"),
            (|g| g.resources[0].storage[0].class = Some("gold".into()), "class"),
            (|g| g.name = "bad name".into(), "name"),
            (|g| g.requirements.attributes.push(Attribute::new("1bad", "x")), "attributes"),
            (
                |g| {
                    let mut u = unit(2, 1, 1);
                    u.price.denom = "uother".into();
                    g.resources.push(u)
                },
                "price",
            ),
        ];
        for (mutate, field) in cases {
            let mut g = group("web");
            mutate(&mut g);
            let err = g.validate("groups[0]").unwrap_err().to_string();
            assert!(err.contains(field), "expected error about {field}, got {err}");
        }
    }

    #[test]
    fn groups_must_be_unique_and_share_a_denom() {
        assert!(validate_groups(&[]).is_err());
        assert!(validate_groups(&[group("a"), group("a")]).is_err());
        let mut b = group("b");
        b.resources[0].price.denom = "uusd".into();
        assert!(matches!(validate_groups(&[group("a"), b]), Err(ValidationError::MixedDenoms { .. })));
        validate_groups(&[group("a"), group("b")]).unwrap();
    }

    #[test]
    fn gpu_capability_matching() {
        let provider = vec![
            Attribute::new("capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm5", "true"),
            Attribute::new("capabilities/gpu/vendor/nvidia/model/a100", "true"),
        ];
        let req = |model: &str, ram: Option<&str>, iface: Option<&str>| GpuRequest {
            units: 1,
            models: vec![GpuModel {
                vendor: "nvidia".into(),
                model: model.into(),
                ram: ram.map(Into::into),
                interface: iface.map(Into::into),
            }],
        };
        assert!(req("h100", None, None).is_satisfied_by(&provider));
        assert!(req("h100", Some("80Gi"), Some("sxm")).is_satisfied_by(&provider));
        assert!(!req("h100", Some("40Gi"), None).is_satisfied_by(&provider));
        assert!(!req("h100", None, Some("pcie")).is_satisfied_by(&provider));
        assert!(req("*", None, None).is_satisfied_by(&provider));
        assert!(!req("a100", Some("80Gi"), None).is_satisfied_by(&provider));
        assert!(!req("rtx4090", None, None).is_satisfied_by(&provider));
        assert!(GpuRequest::default().is_satisfied_by(&[]));
    }

    #[test]
    fn storage_class_matching() {
        let provider = vec![
            Attribute::new("capabilities/storage/1/class", "beta2"),
            Attribute::new("capabilities/storage/1/persistent", "true"),
            Attribute::new("capabilities/storage/2/class", "ram"),
        ];
        let vol = |class: &str, persistent| StorageVolume {
            name: "data".into(),
            size_bytes: GIB,
            class: Some(class.into()),
            persistent,
        };
        assert!(vol("beta2", true).is_satisfied_by(&provider));
        assert!(!vol("beta3", true).is_satisfied_by(&provider));
        assert!(vol("ram", false).is_satisfied_by(&provider));
        assert!(vol("default", false).is_satisfied_by(&[]));
    }
}
