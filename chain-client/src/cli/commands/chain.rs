//! Operator and general commands: `wasm`, `bank`, `query`.

use std::io::Write;

use crate::contracts::execute_msg;
use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as w;
use prost::Message;

use crate::cli::args::{BankCmd, QueryCmd, WasmCmd};
use crate::cli::context::Ctx;
use crate::cli::error::CliError;
use crate::cli::parse;

fn proto_coins(c: &[cosmwasm_std::Coin]) -> Vec<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    c.iter()
        .map(|c| cosmos_sdk_proto::cosmos::base::v1beta1::Coin { denom: c.denom.clone(), amount: c.amount.to_string() })
        .collect()
}

fn json_msg(s: &str) -> Result<Vec<u8>, CliError> {
    let v: serde_json::Value =
        serde_json::from_str(s).map_err(|e| CliError::usage(format!("message is not JSON: {e}")))?;
    Ok(serde_json::to_vec(&v).unwrap_or_default())
}

async fn send(
    ctx: &Ctx,
    what: &str,
    msg: Any,
    extra: impl FnOnce(&crate::client::tx::TxResult) -> Vec<(&'static str, String)>,
) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mut signer = ctx.signer()?;
    ctx.confirm(&format!("{what} as {}", signer.address()))?;
    let r = ctx.send(&client, &mut signer, vec![msg]).await?;
    let extra = extra(&r);
    ctx.out.tx(what, &r, &extra);
    Ok(())
}

pub async fn wasm(ctx: &Ctx, cmd: WasmCmd) -> Result<(), CliError> {
    match cmd {
        WasmCmd::Store { file } => {
            let code = std::fs::read(&file).map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
            if !code.starts_with(b"\0asm") {
                return Err(CliError::usage(format!("{}: not a wasm file", file.display())));
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&code).map_err(|e| CliError::Other(e.to_string()))?;
            let zipped = gz.finish().map_err(|e| CliError::Other(e.to_string()))?;
            let sender = ctx.from_address()?;
            let msg = w::MsgStoreCode { sender, wasm_byte_code: zipped, instantiate_permission: None };
            let any = Any { type_url: "/cosmwasm.wasm.v1.MsgStoreCode".into(), value: msg.encode_to_vec() };
            send(ctx, "code stored", any, |r| {
                vec![
                    ("code_id", r.attribute("store_code", "code_id").unwrap_or_default().to_string()),
                    ("checksum", r.attribute("store_code", "code_checksum").unwrap_or_default().to_string()),
                ]
            })
            .await
        }
        WasmCmd::Instantiate { code_id, msg, label, admin, no_admin, amount } => {
            let sender = ctx.from_address()?;
            let admin = match (admin, no_admin) {
                (Some(a), _) => a,
                (None, true) => String::new(),
                (None, false) => {
                    return Err(CliError::usage("pass --admin ADDRESS (may migrate the contract) or --no-admin"));
                }
            };
            let funds = amount.map(|a| parse::coins(&a, "--amount")).transpose()?.unwrap_or_default();
            let m = w::MsgInstantiateContract {
                sender,
                admin,
                code_id,
                label,
                msg: json_msg(&msg)?,
                funds: proto_coins(&funds),
            };
            let any = Any { type_url: "/cosmwasm.wasm.v1.MsgInstantiateContract".into(), value: m.encode_to_vec() };
            send(ctx, "contract instantiated", any, |r| {
                vec![("contract", r.attribute("instantiate", "_contract_address").unwrap_or_default().to_string())]
            })
            .await
        }
        WasmCmd::Execute { contract, msg, amount } => {
            let sender = ctx.from_address()?;
            let funds = amount.map(|a| parse::coins(&a, "--amount")).transpose()?.unwrap_or_default();
            let v: serde_json::Value = serde_json::from_slice(&json_msg(&msg)?).unwrap_or_default();
            let any = execute_msg(&sender, &contract, &v, &funds)?;
            send(ctx, "executed", any, |_| vec![]).await
        }
        WasmCmd::Migrate { contract, code_id, msg } => {
            let sender = ctx.from_address()?;
            let m = w::MsgMigrateContract { sender, contract, code_id, msg: json_msg(&msg)? };
            let any = Any { type_url: "/cosmwasm.wasm.v1.MsgMigrateContract".into(), value: m.encode_to_vec() };
            send(ctx, "contract migrated", any, |_| vec![]).await
        }
        WasmCmd::Query { contract, msg } => {
            let client = ctx.connect().await?;
            let data = client.query_contract_raw_json(&contract, &json_msg(&msg)?).await?;
            let v: serde_json::Value = serde_json::from_slice(&data)
                .map_err(|e| CliError::Other(format!("the contract answered non-JSON: {e}")))?;
            ctx.out.print(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
            Ok(())
        }
    }
}

pub async fn bank(ctx: &Ctx, cmd: BankCmd) -> Result<(), CliError> {
    let BankCmd::Send { to, amount } = cmd;
    check_address("recipient", &to)?;
    let coins = parse::coins(&amount, "amount")?;
    let from = ctx.from_address()?;
    let m = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: from,
        to_address: to.clone(),
        amount: proto_coins(&coins),
    };
    let any = Any { type_url: "/cosmos.bank.v1beta1.MsgSend".into(), value: m.encode_to_vec() };
    send(ctx, &format!("sent {amount} to {to}"), any, |_| vec![]).await
}

/// Checks an address typed by the user before anything is sent (the node's own error for a bad
/// address is long and repetitive).
fn check_address(what: &str, address: &str) -> Result<(), CliError> {
    leasehold_keys::decode_address(crate::cli::context::PREFIX, address)
        .map(|_| ())
        .map_err(|e| CliError::usage(format!("{what} {address:?}: {e}")))
}

pub async fn query(ctx: &Ctx, cmd: QueryCmd) -> Result<(), CliError> {
    if let QueryCmd::Account { address } | QueryCmd::Balances { address } = &cmd {
        check_address("address", address)?;
    }
    let client = ctx.connect().await?;
    match cmd {
        QueryCmd::Account { address } => {
            let a = client.account(&address).await?.ok_or_else(|| {
                CliError::Client(crate::client::ClientError::Query {
                    method: "Account",
                    code: tonic::Code::NotFound,
                    message: format!("account {address} not found (it has never received tokens)"),
                })
            })?;
            let v = serde_json::json!({
                "address": a.address, "account_number": a.account_number, "sequence": a.sequence,
                "pub_key": a.pub_key.as_ref().map(hex::encode),
            });
            ctx.out.print(&v, || {
                format!(
                    "address:        {}\naccount number: {}\nsequence:       {}\npublic key:     {}",
                    a.address,
                    a.account_number,
                    a.sequence,
                    a.pub_key.as_ref().map_or("(not yet used to sign)".into(), hex::encode)
                )
            });
        }
        QueryCmd::Balances { address } => {
            let b = client.all_balances(&address).await?;
            ctx.out.print(&b, || {
                if b.is_empty() {
                    return "no balances".into();
                }
                b.iter().map(|c| format!("{:>24} {}", c.amount, c.denom)).collect::<Vec<_>>().join("\n")
            });
        }
        QueryCmd::Tx { hash } => {
            let r = client.tx(&hash).await?.ok_or_else(|| {
                CliError::Client(crate::client::ClientError::Query {
                    method: "GetTx",
                    code: tonic::Code::NotFound,
                    message: format!("tx {hash} not found (not included yet, or unknown)"),
                })
            })?;
            let v = serde_json::json!({
                "txhash": r.hash, "height": r.height, "code": r.code, "codespace": r.codespace, "log": r.log,
                "gas_wanted": r.gas_wanted, "gas_used": r.gas_used, "timestamp": r.timestamp,
                "events": r.events.iter().map(|e| serde_json::json!({"type": e.kind, "attributes": e.attributes})).collect::<Vec<_>>(),
            });
            ctx.out.print(&v, || {
                let mut s = format!("tx {} in block {} at {}: code {}", r.hash, r.height, r.timestamp, r.code);
                if !r.log.is_empty() {
                    s.push_str(&format!(" ({})", r.log));
                }
                s.push_str(&format!("\ngas {}/{}", r.gas_used, r.gas_wanted));
                for e in &r.events {
                    s.push_str(&format!("\n  {}", e.kind));
                    for (k, v) in &e.attributes {
                        s.push_str(&format!("\n    {k} = {v}"));
                    }
                }
                s
            });
        }
    }
    Ok(())
}
