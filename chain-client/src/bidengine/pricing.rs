//! What the engine asks for an order: per-resource scale prices (GPUs priced by model), or an
//! external program that receives the order as JSON on stdin and prints the price.
//!
//! Prices are per block for the whole group, in the pricing denom, computed exactly in
//! `Decimal256` (18 decimals): `cpu × cores + memory × GiB + storage[class] × GiB +
//! endpoint × endpoints + gpu[model] × GPUs`, summed over every replica as placed.

use std::process::Stdio;

use cosmwasm_std::Decimal256;
use leasehold_types::market::OrderResponse;
use leasehold_types::resources::{GIB, ResourceUnit};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::config::{ScalePrices, ScriptConfig, StrategyConfig};
use super::inventory::Placement;

/// Most bytes read from a pricing script's stdout or stderr.
const MAX_SCRIPT_OUTPUT: usize = 4096;

/// The engine's price for `order` as `placement` would run it, or why it has none.
pub async fn price(
    strategy: &StrategyConfig,
    order: &OrderResponse,
    placement: &Placement,
) -> Result<Decimal256, String> {
    match strategy {
        StrategyConfig::Scale(prices) => scale_price(prices, order, placement),
        StrategyConfig::Script(script) => script_price(script, order, placement).await,
    }
}

fn unit(order: &OrderResponse, id: u32) -> Result<&ResourceUnit, String> {
    order
        .spec
        .resources
        .iter()
        .find(|u| u.id == id)
        .ok_or_else(|| format!("placement names unit {id}, not in the group"))
}

/// The scale strategy's price.
pub fn scale_price(prices: &ScalePrices, order: &OrderResponse, placement: &Placement) -> Result<Decimal256, String> {
    let overflow = || "price overflows".to_string();
    let mut total = Decimal256::zero();
    let mut add = |amount: Decimal256| -> Result<(), String> {
        total = total.checked_add(amount).map_err(|_| overflow())?;
        Ok(())
    };
    for r in &placement.replicas {
        let u = unit(order, r.unit)?;
        let cores = Decimal256::from_atomics(r.cpu_millis, 3).map_err(|_| overflow())?;
        add(cores.checked_mul(prices.cpu).map_err(|_| overflow())?)?;
        add(gib(r.memory_bytes).checked_mul(prices.memory).map_err(|_| overflow())?)?;
        for (class, bytes) in &r.storage {
            let per_gib = prices
                .storage
                .get(class)
                .ok_or_else(|| format!("no storage price for class {class:?} (pricing.scale.storage)"))?;
            add(gib(*bytes).checked_mul(*per_gib).map_err(|_| overflow())?)?;
        }
        let endpoints = Decimal256::from_atomics(u.endpoints.len() as u128, 0).map_err(|_| overflow())?;
        add(endpoints.checked_mul(prices.endpoint).map_err(|_| overflow())?)?;
        if r.gpus > 0 {
            let model = r.gpu_model.as_deref().unwrap_or("*");
            let per_gpu = prices
                .gpu
                .get(model)
                .or_else(|| prices.gpu.get("*"))
                .ok_or_else(|| format!("no GPU price for model {model:?} (pricing.scale.gpu)"))?;
            let n = Decimal256::from_atomics(r.gpus, 0).map_err(|_| overflow())?;
            add(n.checked_mul(*per_gpu).map_err(|_| overflow())?)?;
        }
    }
    Ok(total)
}

fn gib(bytes: u64) -> Decimal256 {
    Decimal256::from_ratio(bytes, GIB)
}

/// What a pricing script reads on stdin.
#[derive(Serialize)]
struct ScriptInput<'a> {
    order: &'a leasehold_types::market::Order,
    group: &'a leasehold_types::resources::GroupSpec,
    /// Where the engine would run each replica (node, GPU model).
    placement: &'a Placement,
}

async fn script_price(
    script: &ScriptConfig,
    order: &OrderResponse,
    placement: &Placement,
) -> Result<Decimal256, String> {
    let input = serde_json::to_vec(&ScriptInput { order: &order.order, group: &order.spec, placement })
        .map_err(|e| format!("encoding the order for the script: {e}"))?;
    let program = &script.command[0];
    let mut child = tokio::process::Command::new(program)
        .args(&script.command[1..])
        .current_dir(&script.working_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start pricing script {program:?}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("pricing script has no stdin")?;
    let run = async move {
        // A script that ignores stdin closes it early: that is not an error.
        let _ = stdin.write_all(&input).await;
        drop(stdin);
        child.wait_with_output().await
    };
    let output = match tokio::time::timeout(script.timeout, run).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(format!("pricing script {program:?}: {e}")),
        Err(_) => return Err(format!("pricing script {program:?} took longer than {} ms", script.timeout.as_millis())),
    };
    let text = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(MAX_SCRIPT_OUTPUT)]).trim().to_string();
    if !output.status.success() {
        let err = text(&output.stderr);
        let first = err.lines().next().unwrap_or("");
        return Err(format!("pricing script {program:?} {}: {first}", output.status));
    }
    let out = text(&output.stdout);
    let line = out.lines().next().unwrap_or("").trim();
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("pricing script {program:?} printed {line:?}, not a price (a decimal like 2800.5)"));
    }
    line.parse::<Decimal256>().map_err(|e| format!("pricing script {program:?} printed {line:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use cosmwasm_std::DecCoin;
    use leasehold_types::market::{Order, OrderState};
    use leasehold_types::resources::{GpuModel, GpuRequest, GroupSpec, PlacementRequirements, StorageVolume};
    use leasehold_types::{OrderId, resources::Endpoint, resources::EndpointKind};

    use super::*;
    use crate::bidengine::config::{GpuSpec, NodeSpec, StorageSpec};
    use crate::bidengine::inventory::Capacity;

    fn d(s: &str) -> Decimal256 {
        s.parse().unwrap()
    }

    fn order() -> (OrderResponse, Placement) {
        let unit = ResourceUnit {
            id: 1,
            cpu_millis: 1500,
            memory_bytes: 3 * GIB / 2,
            storage: vec![
                StorageVolume { name: "root".into(), size_bytes: GIB, class: None, persistent: false },
                StorageVolume {
                    name: "data".into(),
                    size_bytes: 4 * GIB,
                    class: Some("beta3".into()),
                    persistent: true,
                },
                StorageVolume { name: "shm".into(), size_bytes: GIB / 2, class: Some("ram".into()), persistent: false },
            ],
            gpu: GpuRequest {
                units: 2,
                models: vec![GpuModel { vendor: "nvidia".into(), model: "*".into(), ram: None, interface: None }],
            },
            endpoints: vec![Endpoint { kind: EndpointKind::SharedHttp, sequence_number: 0 }],
            count: 2,
            price: DecCoin::new(d("10000"), "uusdc"),
        };
        let spec =
            GroupSpec { name: "g".into(), requirements: PlacementRequirements::default(), resources: vec![unit] };
        let node = NodeSpec {
            name: "n".into(),
            cpu_millis: 64_000,
            memory_bytes: 64 * GIB,
            storage: vec![
                StorageSpec { class: "default".into(), size_bytes: 100 * GIB },
                StorageSpec { class: "beta3".into(), size_bytes: 100 * GIB },
            ],
            gpus: vec![GpuSpec { vendor: "nvidia".into(), model: "a100".into(), ram: None, interface: None, count: 8 }],
        };
        let placement = Capacity::new(&[node]).place(&spec).unwrap();
        let order = OrderResponse {
            order: Order {
                id: OrderId { owner: "tenant".into(), dseq: 1, gseq: 1, oseq: 1 },
                state: OrderState::Open,
                price: spec.price().unwrap(),
                open_bids: 0,
                created_at: 1,
                matchable_at: 6,
                expires_at: 600,
                closed_at: None,
            },
            spec,
        };
        (order, placement)
    }

    fn prices() -> ScalePrices {
        ScalePrices {
            cpu: d("8"),
            memory: d("1"),
            storage: [("default".to_string(), d("0.05")), ("beta3".to_string(), d("0.1"))].into(),
            endpoint: d("5"),
            gpu: [("a100".to_string(), d("1500")), ("*".to_string(), d("999"))].into(),
        }
    }

    #[test]
    fn scale_price_is_exact_per_replica_and_gpu_model() {
        let (order, placement) = order();
        // Per replica: 1.5 cores × 8 = 12; (1.5 + 0.5 ram) GiB × 1 = 2; 1 GiB × 0.05 + 4 GiB × 0.1
        // = 0.45; 1 endpoint × 5; 2 A100 × 1500 = 3000 → 3019.45; two replicas → 6038.9.
        assert_eq!(scale_price(&prices(), &order, &placement).unwrap(), d("6038.9"));
        let mut no_a100 = prices();
        no_a100.gpu.remove("a100");
        assert_eq!(
            scale_price(&no_a100, &order, &placement).unwrap(),
            d("4034.9"),
            "`*` prices other models (2 × 999 per replica)"
        );
        no_a100.gpu.clear();
        assert!(scale_price(&no_a100, &order, &placement).unwrap_err().contains("no GPU price for model \"a100\""));
        let mut no_beta = prices();
        no_beta.storage.remove("beta3");
        assert!(scale_price(&no_beta, &order, &placement).unwrap_err().contains("beta3"));
    }

    fn script(code: &str, timeout_ms: u64) -> StrategyConfig {
        StrategyConfig::Script(ScriptConfig {
            command: vec!["sh".into(), "-c".into(), code.into()],
            working_dir: PathBuf::from("."),
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    #[tokio::test]
    async fn scripts_read_the_order_and_their_failures_are_reasons() {
        let (order, placement) = order();
        // The order JSON arrives on stdin.
        let grep = script("grep -q '\"gpu_model\":\"a100\"' && echo 1234.5", 10_000);
        assert_eq!(price(&grep, &order, &placement).await.unwrap(), d("1234.5"));
        let failing = script("echo 'no capacity in rack 4' >&2; exit 3", 10_000);
        let err = price(&failing, &order, &placement).await.unwrap_err();
        assert!(err.contains("exit status: 3") && err.contains("no capacity in rack 4"), "{err}");
        let garbage = script("echo twelve", 10_000);
        assert!(price(&garbage, &order, &placement).await.unwrap_err().contains("not a price"));
        let negative = script("echo -5", 10_000);
        assert!(price(&negative, &order, &placement).await.unwrap_err().contains("not a price"));
        let slow = script("sleep 5; echo 1", 200);
        assert!(price(&slow, &order, &placement).await.unwrap_err().contains("took longer than 200 ms"));
        let missing = StrategyConfig::Script(ScriptConfig {
            command: vec!["/nonexistent/pricer".into()],
            working_dir: PathBuf::from("."),
            timeout: Duration::from_secs(1),
        });
        assert!(price(&missing, &order, &placement).await.unwrap_err().contains("cannot start"));
    }
}
