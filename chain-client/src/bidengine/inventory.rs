//! Free capacity of the inventory and where a group's replicas would run.
//!
//! Placement is first-fit: units with the most GPUs, then the most CPU, go first; each replica
//! takes the first node with room for its CPU, memory (plus `ram` volumes), storage by class,
//! and all its GPUs from one GPU model the unit accepts. What a bid reserves, or a lease holds,
//! is the exact [`Placement`] subtracted, so releasing it gives back exactly that.

use leasehold_types::resources::{GIB, GpuModel, GroupSpec, ResourceUnit};
use serde::Serialize;

use super::config::{GpuSpec, NodeSpec};

/// Where one replica of a unit runs and what it takes there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicaPlacement {
    pub unit: u32,
    pub node: String,
    #[serde(skip)]
    node_index: usize,
    pub cpu_millis: u64,
    /// Memory plus `ram` volumes.
    pub memory_bytes: u64,
    /// (storage class, bytes).
    pub storage: Vec<(String, u64)>,
    /// GPUs taken: model (lowercase) and count.
    pub gpu_model: Option<String>,
    pub gpus: u32,
    #[serde(skip)]
    gpu_index: Option<usize>,
}

/// Where every replica of a group runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Placement {
    pub replicas: Vec<ReplicaPlacement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeFree {
    cpu_millis: u64,
    memory_bytes: u64,
    /// Parallel to the node's storage specs.
    storage: Vec<u64>,
    /// Parallel to the node's GPU specs.
    gpus: Vec<u32>,
}

impl NodeFree {
    fn full(spec: &NodeSpec) -> NodeFree {
        NodeFree {
            cpu_millis: spec.cpu_millis,
            memory_bytes: spec.memory_bytes,
            storage: spec.storage.iter().map(|s| s.size_bytes).collect(),
            gpus: spec.gpus.iter().map(|g| g.count).collect(),
        }
    }
}

/// Why a group cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRoom {
    pub unit: u32,
    /// 1-based replica of that unit.
    pub replica: u32,
    pub need: String,
}

impl std::fmt::Display for NoRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no node has room for replica {} of unit {} ({})", self.replica, self.unit, self.need)
    }
}

/// The inventory and what of it is free.
#[derive(Debug, Clone)]
pub struct Capacity {
    nodes: Vec<NodeSpec>,
    free: Vec<NodeFree>,
}

impl Capacity {
    pub fn new(nodes: &[NodeSpec]) -> Capacity {
        Capacity { nodes: nodes.to_vec(), free: nodes.iter().map(NodeFree::full).collect() }
    }

    /// Places `spec` on what is free now.
    pub fn place(&self, spec: &GroupSpec) -> Result<Placement, NoRoom> {
        place_on(&self.nodes, self.free.clone(), spec)
    }

    /// Places `spec` on the whole inventory as if nothing were taken: `Err` means it can never
    /// fit here.
    pub fn place_empty(&self, spec: &GroupSpec) -> Result<Placement, NoRoom> {
        place_on(&self.nodes, self.nodes.iter().map(NodeFree::full).collect(), spec)
    }

    /// Takes what `placement` uses. `false` (and nothing taken) when it no longer fits.
    pub fn reserve(&mut self, placement: &Placement) -> bool {
        let mut free = self.free.clone();
        for r in &placement.replicas {
            let Some(n) = free.get_mut(r.node_index) else { return false };
            let ok = take(&mut n.cpu_millis, r.cpu_millis) && take(&mut n.memory_bytes, r.memory_bytes);
            if !ok {
                return false;
            }
            for (class, bytes) in &r.storage {
                let Some(i) = self.nodes[r.node_index].storage.iter().position(|s| &s.class == class) else {
                    return false;
                };
                if !take(&mut n.storage[i], *bytes) {
                    return false;
                }
            }
            if let Some(g) = r.gpu_index {
                match n.gpus[g].checked_sub(r.gpus) {
                    Some(left) => n.gpus[g] = left,
                    None => return false,
                }
            }
        }
        self.free = free;
        true
    }

    /// Gives back what `placement` took (never more than the inventory has).
    pub fn release(&mut self, placement: &Placement) {
        for r in &placement.replicas {
            let (Some(n), Some(spec)) = (self.free.get_mut(r.node_index), self.nodes.get(r.node_index)) else {
                continue;
            };
            n.cpu_millis = (n.cpu_millis + r.cpu_millis).min(spec.cpu_millis);
            n.memory_bytes = (n.memory_bytes + r.memory_bytes).min(spec.memory_bytes);
            for (class, bytes) in &r.storage {
                if let Some(i) = spec.storage.iter().position(|s| &s.class == class) {
                    n.storage[i] = (n.storage[i] + bytes).min(spec.storage[i].size_bytes);
                }
            }
            if let Some(g) = r.gpu_index {
                n.gpus[g] = (n.gpus[g] + r.gpus).min(spec.gpus[g].count);
            }
        }
    }

    /// Free GPUs, CPU and memory over all nodes, for log lines.
    pub fn summary(&self) -> String {
        let cpu: u64 = self.free.iter().map(|n| n.cpu_millis).sum();
        let mem: u64 = self.free.iter().map(|n| n.memory_bytes).sum();
        let gpus: u32 = self.free.iter().flat_map(|n| n.gpus.iter()).sum();
        format!("free: {} CPU, {} GiB memory, {gpus} GPUs", cpu / 1000, mem / GIB)
    }
}

fn take(free: &mut u64, amount: u64) -> bool {
    match free.checked_sub(amount) {
        Some(left) => {
            *free = left;
            true
        }
        None => false,
    }
}

fn place_on(nodes: &[NodeSpec], mut free: Vec<NodeFree>, spec: &GroupSpec) -> Result<Placement, NoRoom> {
    let mut units: Vec<&ResourceUnit> = spec.resources.iter().collect();
    units.sort_by_key(|u| std::cmp::Reverse((u.gpu.units, u.cpu_millis, u.memory_bytes)));
    let mut placement = Placement::default();
    for unit in units {
        for replica in 1..=unit.count {
            let placed = nodes.iter().enumerate().find_map(|(i, node)| try_node(i, node, &mut free[i], unit));
            match placed {
                Some(p) => placement.replicas.push(p),
                None => return Err(NoRoom { unit: unit.id, replica, need: describe(unit) }),
            }
        }
    }
    Ok(placement)
}

/// Takes one replica of `unit` from `free` if it fits there.
fn try_node(index: usize, node: &NodeSpec, free: &mut NodeFree, unit: &ResourceUnit) -> Option<ReplicaPlacement> {
    let mut trial = free.clone();
    let mut memory = unit.memory_bytes;
    let mut storage: Vec<(String, u64)> = Vec::new();
    for v in &unit.storage {
        let class = v.class.as_deref().unwrap_or("default");
        if class == "ram" {
            memory = memory.checked_add(v.size_bytes)?;
            continue;
        }
        let i = node.storage.iter().position(|s| s.class == class)?;
        if !take(&mut trial.storage[i], v.size_bytes) {
            return None;
        }
        match storage.iter_mut().find(|(c, _)| c == class) {
            Some((_, b)) => *b += v.size_bytes,
            None => storage.push((class.to_string(), v.size_bytes)),
        }
    }
    if !take(&mut trial.cpu_millis, unit.cpu_millis) || !take(&mut trial.memory_bytes, memory) {
        return None;
    }
    let mut gpu_index = None;
    if unit.gpu.units > 0 {
        let g =
            node.gpus.iter().enumerate().position(|(i, g)| {
                trial.gpus[i] >= unit.gpu.units && unit.gpu.models.iter().any(|m| gpu_matches(m, g))
            })?;
        trial.gpus[g] -= unit.gpu.units;
        gpu_index = Some(g);
    }
    *free = trial;
    Some(ReplicaPlacement {
        unit: unit.id,
        node: node.name.clone(),
        node_index: index,
        cpu_millis: unit.cpu_millis,
        memory_bytes: memory,
        storage,
        gpu_model: gpu_index.map(|g| node.gpus[g].model.clone()),
        gpus: unit.gpu.units,
        gpu_index,
    })
}

/// Whether the tenant's acceptable model `want` is the inventory's `have` (the same rules the
/// market applies to capability keys: `*` any model; RAM and interface only when asked; `sxm`
/// also accepts `sxm4`/`sxm5`).
pub fn gpu_matches(want: &GpuModel, have: &GpuSpec) -> bool {
    let ci = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    ci(&want.vendor, &have.vendor)
        && (want.model == "*" || ci(&want.model, &have.model))
        && want.ram.as_deref().is_none_or(|r| have.ram.as_deref().is_some_and(|h| ci(h, r)))
        && want.interface.as_deref().is_none_or(|w| {
            have.interface
                .as_deref()
                .is_some_and(|h| ci(h, w) || (ci(w, "sxm") && h.to_ascii_lowercase().starts_with("sxm")))
        })
}

fn describe(unit: &ResourceUnit) -> String {
    let mut parts = vec![format!("{}m CPU", unit.cpu_millis), format!("{} MiB memory", unit.memory_bytes >> 20)];
    for v in &unit.storage {
        parts.push(format!("{} MiB {} storage", v.size_bytes >> 20, v.class.as_deref().unwrap_or("default")));
    }
    if unit.gpu.units > 0 {
        let models: Vec<String> = unit.gpu.models.iter().map(|m| format!("{}/{}", m.vendor, m.model)).collect();
        parts.push(format!("{} GPU of {}", unit.gpu.units, models.join(" or ")));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::DecCoin;
    use leasehold_types::resources::{GpuRequest, PlacementRequirements, StorageVolume};

    use super::*;
    use crate::bidengine::config::StorageSpec;

    fn node(name: &str, cpu: u64, mem_gib: u64, gpus: u32) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            cpu_millis: cpu * 1000,
            memory_bytes: mem_gib * GIB,
            storage: vec![StorageSpec { class: "default".into(), size_bytes: 1000 * GIB }],
            gpus: if gpus > 0 {
                vec![GpuSpec {
                    vendor: "nvidia".into(),
                    model: "h100".into(),
                    ram: Some("80Gi".into()),
                    interface: Some("sxm".into()),
                    count: gpus,
                }]
            } else {
                vec![]
            },
        }
    }

    fn unit(id: u32, cpu: u64, gpus: u32, model: &str, count: u32) -> ResourceUnit {
        ResourceUnit {
            id,
            cpu_millis: cpu * 1000,
            memory_bytes: GIB,
            storage: vec![StorageVolume { name: "root".into(), size_bytes: GIB, class: None, persistent: false }],
            gpu: GpuRequest {
                units: gpus,
                models: if gpus > 0 {
                    vec![GpuModel { vendor: "nvidia".into(), model: model.into(), ram: None, interface: None }]
                } else {
                    vec![]
                },
            },
            endpoints: vec![],
            count,
            price: DecCoin::new(cosmwasm_std::Decimal256::one(), "uusdc"),
        }
    }

    fn group(units: Vec<ResourceUnit>) -> GroupSpec {
        GroupSpec { name: "g".into(), requirements: PlacementRequirements::default(), resources: units }
    }

    #[test]
    fn reserve_and_release_are_exact() {
        let mut cap = Capacity::new(&[node("a", 16, 64, 8), node("b", 16, 64, 0)]);
        let g = group(vec![unit(1, 8, 4, "h100", 2), unit(2, 4, 0, "", 3)]);
        let p = cap.place(&g).unwrap();
        assert_eq!(p.replicas.iter().filter(|r| r.gpus == 4).count(), 2);
        assert!(p.replicas.iter().filter(|r| r.gpus == 4).all(|r| r.node == "a"));
        let before = cap.free.clone();
        assert!(cap.reserve(&p));
        // Node a's CPU is used by the two GPU replicas; CPU-only replicas went to b.
        assert_eq!(cap.free[0].cpu_millis, 0);
        assert_eq!(cap.free[1].cpu_millis, 4000);
        assert!(cap.place(&g).is_err());
        cap.release(&p);
        assert_eq!(cap.free, before);
    }

    #[test]
    fn gpu_model_and_size_limits() {
        let cap = Capacity::new(&[node("a", 64, 256, 8)]);
        let err = cap.place(&group(vec![unit(1, 1, 1, "a100", 1)])).unwrap_err();
        assert_eq!((err.unit, err.replica), (1, 1));
        assert!(err.to_string().contains("nvidia/a100"), "{err}");
        assert!(cap.place(&group(vec![unit(1, 1, 1, "*", 1)])).is_ok());
        assert!(cap.place(&group(vec![unit(1, 1, 9, "h100", 1)])).is_err(), "9 GPUs on an 8-GPU node");
        assert!(cap.place(&group(vec![unit(1, 1, 8, "h100", 1)])).is_ok());
        assert!(cap.place_empty(&group(vec![unit(1, 1, 4, "h100", 3)])).is_err(), "12 GPUs on 8");
    }

    #[test]
    fn reserve_refuses_what_no_longer_fits() {
        let mut cap = Capacity::new(&[node("a", 8, 64, 0)]);
        let p = cap.place(&group(vec![unit(1, 6, 0, "", 1)])).unwrap();
        assert!(cap.reserve(&p));
        let before = cap.free.clone();
        assert!(!cap.reserve(&p), "a second reservation of 6 CPUs on 2 free");
        assert_eq!(cap.free, before, "a refused reservation takes nothing");
    }
}

#[cfg(test)]
mod props {
    use cosmwasm_std::{DecCoin, Decimal256};
    use leasehold_types::resources::{GpuRequest, PlacementRequirements, StorageVolume};
    use proptest::prelude::*;

    use super::*;
    use crate::bidengine::config::StorageSpec;

    fn nodes() -> Vec<NodeSpec> {
        (0..3)
            .map(|i| NodeSpec {
                name: format!("n{i}"),
                cpu_millis: 16_000,
                memory_bytes: 64 * GIB,
                storage: vec![StorageSpec { class: "default".into(), size_bytes: 500 * GIB }],
                gpus: vec![GpuSpec {
                    vendor: "nvidia".into(),
                    model: if i == 2 { "a100".into() } else { "h100".into() },
                    ram: None,
                    interface: None,
                    count: 4,
                }],
            })
            .collect()
    }

    fn spec(cpu: u64, mem: u64, gpus: u32, count: u32) -> GroupSpec {
        GroupSpec {
            name: "g".into(),
            requirements: PlacementRequirements::default(),
            resources: vec![ResourceUnit {
                id: 1,
                cpu_millis: cpu,
                memory_bytes: mem * GIB,
                storage: vec![StorageVolume { name: "r".into(), size_bytes: 10 * GIB, class: None, persistent: false }],
                gpu: GpuRequest {
                    units: gpus,
                    models: if gpus > 0 {
                        vec![GpuModel { vendor: "nvidia".into(), model: "*".into(), ram: None, interface: None }]
                    } else {
                        vec![]
                    },
                },
                endpoints: vec![],
                count,
                price: DecCoin::new(Decimal256::one(), "uusdc"),
            }],
        }
    }

    proptest! {
        /// Any sequence of placements, reservations and releases: free capacity never exceeds
        /// the inventory nor goes negative, a placement made on free capacity can always be
        /// reserved, and releasing everything restores the empty inventory exactly.
        #[test]
        fn reservations_conserve_capacity(
            ops in proptest::collection::vec((1u64..8_000, 1u64..40, 0u32..5, 1u32..4, any::<bool>()), 1..40)
        ) {
            let inventory = nodes();
            let mut cap = Capacity::new(&inventory);
            let empty = cap.free.clone();
            let mut held: Vec<Placement> = Vec::new();
            for (cpu, mem, gpus, count, release) in ops {
                if release && !held.is_empty() {
                    let p = held.remove(0);
                    cap.release(&p);
                } else if let Ok(p) = cap.place(&spec(cpu, mem, gpus, count)) {
                    prop_assert!(cap.reserve(&p));
                    prop_assert_eq!(p.replicas.len(), count as usize);
                    held.push(p);
                }
                for (free, node) in cap.free.iter().zip(&inventory) {
                    prop_assert!(free.cpu_millis <= node.cpu_millis);
                    prop_assert!(free.memory_bytes <= node.memory_bytes);
                    prop_assert!(free.gpus[0] <= node.gpus[0].count);
                }
            }
            for p in held.drain(..) {
                cap.release(&p);
            }
            prop_assert_eq!(cap.free, empty);
        }
    }
}
