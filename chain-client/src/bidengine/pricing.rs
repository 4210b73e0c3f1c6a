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

fn unit<'a>(order: &'a OrderResponse, id: u32) -> Result<&'a ResourceUnit, String> {
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
