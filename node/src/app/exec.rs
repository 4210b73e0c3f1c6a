//! Running one transaction the way the Cosmos SDK's `runTx` does: decode, ante in its own
//! branch (kept even if a message fails), then every message in one branch that is kept only
//! if all succeed; the result carries the SDK's codes, gas and events.

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmwasm_std::{Event, TransactionInfo};
use leasehold_wasm_host::{GasMeter, Store, WasmHost};
use prost::Message;
use tendermint_proto::abci::{Event as AbciEvent, EventAttribute, ExecTxResult};

use crate::app::handlers::{HandlerEnv, handle, validate_basic};
use crate::auth::ante::{AnteParams, ExecMode, run_ante};
use crate::error::{NodeError, TxError};
use crate::tx::{DecodedTx, decode_tx};

/// The outcome of one transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TxOutcome {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    /// `TxMsgData` bytes on success.
    pub data: Vec<u8>,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<AbciEvent>,
    pub msg_responses: Vec<Any>,
}

impl TxOutcome {
    fn failed(err: &TxError, gas_wanted: u64, gas_used: u64, events: Vec<AbciEvent>) -> Self {
        let (codespace, code) = err.abci_code();
        TxOutcome {
            code,
            codespace: codespace.to_string(),
            log: err.to_string(),
            gas_wanted,
            gas_used,
            events,
            ..Default::default()
        }
    }

    /// CheckTx's answer for a tx this node could not check because of its own fault.
    pub fn node_fault(fault: &NodeError) -> Self {
        Self::failed(&TxError::Host(leasehold_wasm_host::HostError::Internal(fault.to_string())), 0, 0, vec![])
    }

    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    /// A tx the block had no gas left for: refused without running (SDK code 11, as its block
    /// gas meter does). Valid proposals never get here: their gas limits fit the block.
    pub fn out_of_block_gas(gas_wanted: u64, block_gas: u64, max_gas: u64) -> Self {
        let err = TxError::OutOfGas(format!(
            "no block gas left to run tx: gas wanted {gas_wanted}, block gas used {block_gas} of {max_gas}"
        ));
        TxOutcome::failed(&err, gas_wanted, 0, vec![])
    }

    /// As CometBFT's `ExecTxResult`.
    pub fn to_exec_result(&self) -> ExecTxResult {
        ExecTxResult {
            code: self.code,
            data: self.data.clone().into(),
            log: self.log.clone(),
            info: String::new(),
            gas_wanted: i64::try_from(self.gas_wanted).unwrap_or(i64::MAX),
            gas_used: i64::try_from(self.gas_used).unwrap_or(i64::MAX),
            events: self.events.clone(),
            codespace: self.codespace.clone(),
        }
    }
}

/// Converts host events to ABCI events, every attribute indexed (CometBFT's kv indexer skips
/// attributes without `index`), with `msg_index` appended for message events as SDK 0.50 does.
pub fn abci_events(events: &[Event], msg_index: Option<usize>) -> Vec<AbciEvent> {
    events
        .iter()
        .map(|e| {
            let mut attributes: Vec<EventAttribute> = e
                .attributes
                .iter()
                .map(|a| EventAttribute { key: a.key.clone(), value: a.value.clone(), index: true })
                .collect();
            if let Some(i) = msg_index {
                attributes.push(EventAttribute { key: "msg_index".into(), value: i.to_string(), index: true });
            }
            AbciEvent { r#type: e.ty.clone(), attributes }
        })
        .collect()
}

/// Chain settings a transaction runs under.
pub struct ExecEnv<'a> {
    pub ante: AnteParams<'a>,
    pub handlers: HandlerEnv<'a>,
    /// Position in the block (`Env.transaction.index`).
    pub tx_index: u32,
}

/// Runs the raw transaction on `host`'s store, which is left with the ante writes and (if every
/// message succeeded) the message writes, outside any branch the caller holds.
///
/// A fault of this node met on the way (see [`TxError::is_fault`]) is an error, not an outcome.
pub fn run_tx(host: &mut WasmHost, raw: &[u8], env: &ExecEnv<'_>) -> Result<TxOutcome, NodeError> {
    match decode_tx(raw, env.ante.limits) {
        Ok(tx) => run_decoded(host, &tx, env),
        Err(e) => Ok(TxOutcome::failed(&e, 0, 0, vec![])),
    }
}

/// [`run_tx`] for an already decoded transaction.
pub fn run_decoded(host: &mut WasmHost, tx: &DecodedTx, env: &ExecEnv<'_>) -> Result<TxOutcome, NodeError> {
    let outcome = run_decoded_or_fault(host, tx, env);
    match outcome {
        Err(fault) => Err(NodeError::Fault(format!("tx {}: {fault}", hex::encode_upper(tx.hash)))),
        Ok(outcome) => Ok(outcome),
    }
}

fn run_decoded_or_fault(host: &mut WasmHost, tx: &DecodedTx, env: &ExecEnv<'_>) -> Result<TxOutcome, TxError> {
    let limit = match env.ante.mode {
        // The SDK simulates with an unlimited meter; ours stops at the largest allowed gas limit.
        ExecMode::Simulate => env.ante.limits.max_gas_wanted,
        _ => tx.gas_limit,
    };
    let store: Store = host.store().clone();
    host.set_transaction(match env.ante.mode {
        ExecMode::Deliver => Some(TransactionInfo::new(env.tx_index, cosmwasm_std::Binary::from(tx.hash.to_vec()))),
        _ => None,
    });
    // Stateless checks first (the SDK's ValidateBasic): a malformed message never reaches the
    // ante handler, so it is refused in CheckTx and costs no fee.
    for msg in &tx.msgs {
        if let Err(e) = validate_basic(env.handlers.api, msg) {
            return Ok(TxOutcome::failed(&e, tx.gas_limit, 0, vec![]));
        }
    }
    let meter = GasMeter::new(limit);
    let scope = host.scope(meter.clone());

    let ante_branch = store.branch();
    let ante_events = match run_ante(&scope, &meter, tx, &env.ante) {
        Ok(events) => events,
        Err(e) if e.is_fault() => return Err(e),
        Err(e) => {
            drop(ante_branch);
            let err = if e.is_out_of_gas() { out_of_gas(&meter) } else { e };
            return Ok(TxOutcome::failed(&err, tx.gas_limit, meter.consumed(), vec![]));
        }
    };
    ante_branch.commit();
    let ante_abci = abci_events(&ante_events, None);
    if matches!(env.ante.mode, ExecMode::Check | ExecMode::Recheck) {
        return Ok(TxOutcome {
            gas_wanted: tx.gas_limit,
            gas_used: meter.consumed(),
            events: ante_abci,
            ..Default::default()
        });
    }

    let msgs_branch = store.branch();
    let mut events = ante_abci.clone();
    let mut responses = Vec::with_capacity(tx.msgs.len());
    for (i, msg) in tx.msgs.iter().enumerate() {
        let message = Event::new("message")
            .add_attribute("action", msg.type_url())
            .add_attribute("sender", msg.signer())
            .add_attribute("module", msg.module());
        match handle(&scope, &meter, &env.handlers, msg) {
            Ok((msg_events, response)) => {
                events.extend(abci_events(&[message], Some(i)));
                events.extend(abci_events(&msg_events, Some(i)));
                responses.push(response);
            }
            Err(e) if e.is_fault() => return Err(e),
            Err(e) => {
                drop(msgs_branch);
                let err = if e.is_out_of_gas() || meter.is_out_of_gas() { out_of_gas(&meter) } else { e };
                let mut failed = TxOutcome::failed(&err, tx.gas_limit, meter.consumed(), ante_abci);
                if !err.is_out_of_gas() {
                    failed.log = format!("failed to execute message; message index: {i}: {}", failed.log);
                }
                return Ok(failed);
            }
        }
    }
    msgs_branch.commit();
    let data = TxMsgData { msg_responses: responses.clone(), ..Default::default() }.encode_to_vec();
    Ok(TxOutcome {
        code: 0,
        codespace: String::new(),
        log: String::new(),
        data,
        gas_wanted: tx.gas_limit,
        gas_used: meter.consumed(),
        events,
        msg_responses: responses,
    })
}

fn out_of_gas(meter: &GasMeter) -> TxError {
    TxError::OutOfGas(format!(
        "out of gas in location: txs; gasWanted: {}, gasUsed: {}",
        meter.limit(),
        meter.consumed()
    ))
}
