//! Decoding: the node's answers (`GetBlockWithTxs` + the tx results of `GetTxsEvent`) into a
//! [`BlockData`], messages into readable rows, and the marketplace's `wasm-*` events
//! (`docs/events.md`) into typed [`MarketEvent`]s. Only events whose `_contract_address` is
//! one of the marketplace's three contracts count: anyone can deploy a contract that emits
//! `wasm-lease-created`. Nothing here panics on what a node sends; malformed input is a
//! [`DecodeError`] naming the event and attribute.

use std::str::FromStr;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{GetBlockWithTxsResponse, Tx};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgInstantiateContract2, MsgMigrateContract,
    MsgStoreCode, MsgUpdateAdmin,
};
use cosmwasm_std::{Coin, DecCoin, Decimal256, Uint256};
use leasehold_types::ids::{BidId, DeploymentId, GroupId, OrderId};
use prost::Message;
use serde::Serialize;

use crate::indexer::error::{DecodeError, IndexError};
use crate::indexer::model::{BlockData, EventData, MsgData, TxData};

/// The marketplace's contract addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contracts {
    pub market: String,
    pub escrow: String,
    pub registry: String,
}

/// Which marketplace contract emitted an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Market,
    Escrow,
    Registry,
}

impl Contracts {
    pub fn source(&self, contract: &str) -> Option<Source> {
        if contract == self.market {
            Some(Source::Market)
        } else if contract == self.escrow {
            Some(Source::Escrow)
        } else if contract == self.registry {
            Some(Source::Registry)
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Blocks and transactions
// ---------------------------------------------------------------------------------------------

fn coins_string(coins: &[ProtoCoin]) -> String {
    coins.iter().map(|c| format!("{}{}", c.amount, c.denom)).collect::<Vec<_>>().join(",")
}

/// `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z` from a protobuf timestamp (proleptic Gregorian, UTC).
pub fn rfc3339(seconds: i64, nanos: i32) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let frac = if nanos > 0 { format!(".{:09}", nanos).trim_end_matches('0').to_string() } else { String::new() };
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{frac}Z", secs / 3600, (secs % 3600) / 60, secs % 60)
}

/// A message as a row: its kind, sender, contract, action and JSON body.
pub fn decode_msg(index: u32, any: &Any) -> MsgData {
    let mut m = MsgData {
        index,
        type_url: any.type_url.clone(),
        sender: None,
        contract: None,
        action: None,
        body: None,
        funds: String::new(),
    };
    let bytes = any.value.as_slice();
    match any.type_url.as_str() {
        "/cosmos.bank.v1beta1.MsgSend" => {
            if let Ok(s) = MsgSend::decode(bytes) {
                m.action = Some("send".into());
                m.funds = coins_string(&s.amount);
                m.body = serde_json::to_string(&serde_json::json!({
                    "to_address": s.to_address,
                    "amount": s.amount.iter().map(|c| serde_json::json!({"denom": c.denom, "amount": c.amount})).collect::<Vec<_>>(),
                }))
                .ok();
                m.sender = Some(s.from_address);
            }
        }
        "/cosmwasm.wasm.v1.MsgExecuteContract" => {
            if let Ok(e) = MsgExecuteContract::decode(bytes) {
                m.body = String::from_utf8(e.msg).ok();
                m.action = m.body.as_deref().and_then(top_level_key);
                m.funds = coins_string(&e.funds);
                m.sender = Some(e.sender);
                m.contract = Some(e.contract);
            }
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
            if let Ok(e) = MsgInstantiateContract::decode(bytes) {
                m.body = String::from_utf8(e.msg).ok();
                m.action = Some("instantiate".into());
                m.funds = coins_string(&e.funds);
                m.sender = Some(e.sender);
            }
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContract2" => {
            if let Ok(e) = MsgInstantiateContract2::decode(bytes) {
                m.body = String::from_utf8(e.msg).ok();
                m.action = Some("instantiate2".into());
                m.funds = coins_string(&e.funds);
                m.sender = Some(e.sender);
            }
        }
        "/cosmwasm.wasm.v1.MsgMigrateContract" => {
            if let Ok(e) = MsgMigrateContract::decode(bytes) {
                m.body = String::from_utf8(e.msg).ok();
                m.action = Some("migrate".into());
                m.sender = Some(e.sender);
                m.contract = Some(e.contract);
            }
        }
        "/cosmwasm.wasm.v1.MsgStoreCode" => {
            if let Ok(e) = MsgStoreCode::decode(bytes) {
                m.action = Some("store_code".into());
                m.sender = Some(e.sender);
            }
        }
        "/cosmwasm.wasm.v1.MsgUpdateAdmin" => {
            if let Ok(e) = MsgUpdateAdmin::decode(bytes) {
                m.action = Some("update_admin".into());
                m.sender = Some(e.sender);
                m.contract = Some(e.contract);
            }
        }
        "/cosmwasm.wasm.v1.MsgClearAdmin" => {
            if let Ok(e) = MsgClearAdmin::decode(bytes) {
                m.action = Some("clear_admin".into());
                m.sender = Some(e.sender);
                m.contract = Some(e.contract);
            }
        }
        _ => {}
    }
    m
}

/// `{"create_bid": {...}}` → `create_bid`.
fn top_level_key(json: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::Object(o) if o.len() == 1 => o.keys().next().cloned(),
        _ => None,
    }
}

fn tx_data(index: u32, tx: &Tx, result: &TxResponse) -> TxData {
    let msgs: Vec<MsgData> = tx
        .body
        .as_ref()
        .map(|b| b.messages.iter().enumerate().map(|(i, any)| decode_msg(i as u32, any)).collect())
        .unwrap_or_default();
    let fee = tx.auth_info.as_ref().and_then(|a| a.fee.as_ref()).map(|f| coins_string(&f.amount)).unwrap_or_default();
    let events = result
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            EventData::new(
                i as u32,
                e.r#type.clone(),
                e.attributes.iter().map(|a| (a.key.clone(), a.value.clone())).collect(),
            )
        })
        .collect();
    TxData {
        index,
        hash: result.txhash.to_ascii_uppercase(),
        code: result.code,
        codespace: result.codespace.clone(),
        log: result.raw_log.clone(),
        gas_wanted: result.gas_wanted,
        gas_used: result.gas_used,
        fee,
        memo: tx.body.as_ref().map(|b| b.memo.clone()).unwrap_or_default(),
        signer: msgs.iter().find_map(|m| m.sender.clone()),
        msgs,
        events,
    }
}

/// A block from `GetBlockWithTxs` and the results of its txs (in block order).
pub fn block_from_grpc(
    height: u64,
    block: &GetBlockWithTxsResponse,
    results: &[TxResponse],
) -> Result<BlockData, IndexError> {
    let bad = |reason: String| IndexError::Block { height, reason };
    let header =
        block.block.as_ref().and_then(|b| b.header.as_ref()).ok_or_else(|| bad("the block has no header".into()))?;
    if u64::try_from(header.height).ok() != Some(height) {
        return Err(bad(format!("asked for height {height}, got {}", header.height)));
    }
    let time = header.time.as_ref().map(|t| rfc3339(t.seconds, t.nanos)).unwrap_or_default();
    let hash = block.block_id.as_ref().map(|id| hex::encode_upper(&id.hash)).unwrap_or_default();
    if block.txs.len() != results.len() {
        return Err(bad(format!("{} txs in the block but {} tx results", block.txs.len(), results.len())));
    }
    let mut txs = Vec::with_capacity(block.txs.len());
    for (i, (tx, result)) in block.txs.iter().zip(results).enumerate() {
        if u64::try_from(result.height).ok() != Some(height) {
            return Err(bad(format!("the result of tx {i} is at height {}", result.height)));
        }
        // The results come in block order; check it against the tx each carries.
        if let Some(any) = &result.tx
            && let Ok(carried) = Tx::decode(any.value.as_slice())
            && &carried != tx
        {
            return Err(bad(format!("tx result {i} ({}) is not the block's tx {i}", result.txhash)));
        }
        txs.push(tx_data(i as u32, tx, result));
    }
    Ok(BlockData { height, hash, time, proposer: hex::encode_upper(&header.proposer_address), txs })
}

/// Coins of a `transfer` event's `amount` (`1ulease,2uusdc`); `None` when malformed.
pub fn parse_coins(s: &str) -> Option<Vec<Coin>> {
    s.split(',').filter(|p| !p.is_empty()).map(|p| parse_coin(p).ok()).collect()
}

// ---------------------------------------------------------------------------------------------
// Marketplace events
// ---------------------------------------------------------------------------------------------

/// Where an event sits, for keys and error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventKey {
    pub height: u64,
    pub tx_index: u32,
    pub event_index: u32,
}

/// A marketplace event, its attributes parsed (`docs/events.md`).
#[derive(Clone, Debug, PartialEq)]
pub enum MarketEvent {
    ProviderRegistered {
        owner: String,
        host_uri: String,
    },
    ProviderUpdated {
        owner: String,
        host_uri: String,
    },
    ProviderDeleted {
        owner: String,
    },
    AuditSigned {
        owner: String,
        auditor: String,
        keys: Vec<String>,
    },
    AuditDeleted {
        owner: String,
        auditor: String,
        keys: Vec<String>,
        record_deleted: bool,
    },
    DeploymentCreated {
        id: DeploymentId,
        hash: String,
        denom: String,
        groups: u32,
        auto_match: bool,
        deposit: Coin,
    },
    DeploymentUpdated {
        id: DeploymentId,
        hash: String,
        auto_match: bool,
    },
    DeploymentClosed {
        id: DeploymentId,
    },
    ProviderExcluded {
        id: DeploymentId,
        provider: String,
        reason: String,
    },
    ProviderReadmitted {
        id: DeploymentId,
        provider: String,
    },
    GroupPaused {
        id: GroupId,
        reason: String,
        state: String,
    },
    GroupStarted {
        id: GroupId,
    },
    GroupClosed {
        id: GroupId,
        reason: String,
    },
    OrderCreated {
        id: OrderId,
        price: DecCoin,
        matchable_at: u64,
        expires_at: u64,
    },
    OrderMatched {
        id: OrderId,
        provider: String,
        price: DecCoin,
        matched_by: String,
    },
    OrderClosed {
        id: OrderId,
        reason: String,
    },
    BidCreated {
        id: BidId,
        price: DecCoin,
        collateral: Coin,
    },
    BidMatched {
        id: BidId,
    },
    BidLost {
        id: BidId,
    },
    BidClosed {
        id: BidId,
        reason: String,
    },
    LeaseCreated {
        id: BidId,
        price: DecCoin,
    },
    LeaseClosed {
        id: BidId,
        reason: String,
        reason_code: u32,
        closed_at: u64,
    },
    AccountOpened {
        account: String,
        scope: String,
        owner: String,
        amount: Uint256,
        denom: String,
    },
    Deposited {
        account: String,
        depositor: String,
        amount: Uint256,
        balance: Decimal256,
        reopened: bool,
    },
    PaymentCreated {
        account: String,
        payment: String,
        payee: String,
        rate: Decimal256,
        denom: String,
        account_rate: Decimal256,
        /// Absent from events of escrow versions before the take rate was fixed per payment.
        take_rate: Option<cosmwasm_std::Decimal>,
    },
    PaymentClosed {
        account: String,
        payment: String,
        payee: String,
        overdrawn: bool,
        accrued: Decimal256,
        amount: Uint256,
        take: Uint256,
    },
    Withdrawn {
        account: String,
        payment: String,
        payee: String,
        amount: Uint256,
        take: Uint256,
    },
    Overdrawn {
        account: String,
        funded_until: u64,
        payments: Vec<String>,
        balance: Decimal256,
    },
    Settled {
        account: String,
        state: String,
        settled_at: u64,
        balance: Decimal256,
        rate: Decimal256,
    },
    Refunded {
        account: String,
        depositor: String,
        amount: Uint256,
    },
    AccountClosed {
        account: String,
        refunded: Uint256,
    },
}

struct Attrs<'a> {
    ev: &'a EventData,
    key: EventKey,
}

impl<'a> Attrs<'a> {
    fn err(&self, reason: String) -> DecodeError {
        DecodeError {
            height: self.key.height,
            tx_index: self.key.tx_index,
            event_index: self.key.event_index,
            kind: self.ev.kind.clone(),
            reason,
        }
    }

    fn str(&self, k: &str) -> Result<&'a str, DecodeError> {
        self.ev.attr(k).ok_or_else(|| self.err(format!("missing attribute `{k}`")))
    }

    fn string(&self, k: &str) -> Result<String, DecodeError> {
        self.str(k).map(str::to_string)
    }

    fn parse<T: FromStr>(&self, k: &str) -> Result<T, DecodeError>
    where
        T::Err: std::fmt::Display,
    {
        let v = self.str(k)?;
        v.parse().map_err(|e| self.err(format!("attribute `{k}` = {v:?}: {e}")))
    }

    /// An attribute that older contract versions did not emit.
    fn opt_parse<T: FromStr>(&self, k: &str) -> Result<Option<T>, DecodeError>
    where
        T::Err: std::fmt::Display,
    {
        match self.ev.attr(k) {
            None => Ok(None),
            Some(_) => self.parse(k).map(Some),
        }
    }

    fn bool(&self, k: &str) -> Result<bool, DecodeError> {
        match self.str(k)? {
            "true" => Ok(true),
            "false" => Ok(false),
            v => Err(self.err(format!("attribute `{k}` = {v:?}: expected true or false"))),
        }
    }

    fn dec_coin(&self, k: &str) -> Result<DecCoin, DecodeError> {
        let v = self.str(k)?;
        parse_dec_coin(v).map_err(|e| self.err(format!("attribute `{k}` = {v:?}: {e}")))
    }

    fn coin(&self, k: &str) -> Result<Coin, DecodeError> {
        let v = self.str(k)?;
        parse_coin(v).map_err(|e| self.err(format!("attribute `{k}` = {v:?}: {e}")))
    }

    fn keys(&self, k: &str) -> Result<Vec<String>, DecodeError> {
        Ok(self.str(k)?.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
    }

    fn deployment(&self) -> Result<DeploymentId, DecodeError> {
        Ok(DeploymentId { owner: self.string("owner")?, dseq: self.parse("dseq")? })
    }

    fn group(&self) -> Result<GroupId, DecodeError> {
        Ok(self.deployment()?.group(self.parse("gseq")?))
    }

    fn order(&self) -> Result<OrderId, DecodeError> {
        Ok(self.group()?.order(self.parse("oseq")?))
    }

    fn bid(&self) -> Result<BidId, DecodeError> {
        Ok(self.order()?.bid(self.string("provider")?))
    }
}

/// `123ulease` → a coin (integer amount, then a denom starting with a letter).
pub fn parse_coin(s: &str) -> Result<Coin, String> {
    let at = s.find(|c: char| !c.is_ascii_digit()).ok_or("no denom")?;
    let (amount, denom) = s.split_at(at);
    if amount.is_empty() || !denom.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("expected an integer amount followed by a denom".into());
    }
    Ok(Coin { amount: Uint256::from_str(amount).map_err(|e| e.to_string())?, denom: denom.into() })
}

/// `12.5ulease` → a decimal coin.
pub fn parse_dec_coin(s: &str) -> Result<DecCoin, String> {
    let at = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or("no denom")?;
    let (amount, denom) = s.split_at(at);
    if amount.is_empty() || !denom.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("expected a decimal amount followed by a denom".into());
    }
    Ok(DecCoin { amount: Decimal256::from_str(amount).map_err(|e| e.to_string())?, denom: denom.into() })
}

/// The typed marketplace event, if `ev` is one (`None` for other events and contracts).
pub fn market_event(ev: &EventData, key: EventKey, contracts: &Contracts) -> Result<Option<MarketEvent>, DecodeError> {
    let Some(kind) = ev.kind.strip_prefix("wasm-") else { return Ok(None) };
    let Some(source) = ev.contract.as_deref().and_then(|c| contracts.source(c)) else { return Ok(None) };
    let a = Attrs { ev, key };
    use MarketEvent as E;
    let e = match (source, kind) {
        (Source::Registry, "provider-registered") => {
            E::ProviderRegistered { owner: a.string("owner")?, host_uri: a.string("host_uri")? }
        }
        (Source::Registry, "provider-updated") => {
            E::ProviderUpdated { owner: a.string("owner")?, host_uri: a.string("host_uri")? }
        }
        (Source::Registry, "provider-deleted") => E::ProviderDeleted { owner: a.string("owner")? },
        (Source::Registry, "audit-signed") => {
            E::AuditSigned { owner: a.string("owner")?, auditor: a.string("auditor")?, keys: a.keys("keys")? }
        }
        (Source::Registry, "audit-deleted") => E::AuditDeleted {
            owner: a.string("owner")?,
            auditor: a.string("auditor")?,
            keys: a.keys("keys")?,
            record_deleted: a.bool("record_deleted")?,
        },
        (Source::Market, "deployment-created") => E::DeploymentCreated {
            id: a.deployment()?,
            hash: a.string("hash")?,
            denom: a.string("denom")?,
            groups: a.parse("groups")?,
            auto_match: a.bool("auto_match")?,
            deposit: a.coin("deposit")?,
        },
        (Source::Market, "deployment-updated") => {
            E::DeploymentUpdated { id: a.deployment()?, hash: a.string("hash")?, auto_match: a.bool("auto_match")? }
        }
        (Source::Market, "deployment-closed") => E::DeploymentClosed { id: a.deployment()? },
        (Source::Market, "provider-excluded") => {
            E::ProviderExcluded { id: a.deployment()?, provider: a.string("provider")?, reason: a.string("reason")? }
        }
        (Source::Market, "provider-readmitted") => {
            E::ProviderReadmitted { id: a.deployment()?, provider: a.string("provider")? }
        }
        (Source::Market, "group-paused") => {
            E::GroupPaused { id: a.group()?, reason: a.string("reason")?, state: a.string("state")? }
        }
        (Source::Market, "group-started") => E::GroupStarted { id: a.group()? },
        (Source::Market, "group-closed") => E::GroupClosed { id: a.group()?, reason: a.string("reason")? },
        (Source::Market, "order-created") => E::OrderCreated {
            id: a.order()?,
            price: a.dec_coin("price")?,
            matchable_at: a.parse("matchable_at")?,
            expires_at: a.parse("expires_at")?,
        },
        (Source::Market, "order-matched") => E::OrderMatched {
            id: a.order()?,
            provider: a.string("provider")?,
            price: a.dec_coin("price")?,
            matched_by: a.string("matched_by")?,
        },
        (Source::Market, "order-closed") => E::OrderClosed { id: a.order()?, reason: a.string("reason")? },
        (Source::Market, "bid-created") => {
            E::BidCreated { id: a.bid()?, price: a.dec_coin("price")?, collateral: a.coin("collateral")? }
        }
        (Source::Market, "bid-matched") => E::BidMatched { id: a.bid()? },
        (Source::Market, "bid-lost") => E::BidLost { id: a.bid()? },
        (Source::Market, "bid-closed") => E::BidClosed { id: a.bid()?, reason: a.string("reason")? },
        (Source::Market, "lease-created") => E::LeaseCreated { id: a.bid()?, price: a.dec_coin("price")? },
        (Source::Market, "lease-closed") => E::LeaseClosed {
            id: a.bid()?,
            reason: a.string("reason")?,
            reason_code: a.parse("reason_code")?,
            closed_at: a.parse("closed_at")?,
        },
        (Source::Escrow, "escrow-account-opened") => E::AccountOpened {
            account: a.string("account")?,
            scope: a.string("scope")?,
            owner: a.string("owner")?,
            amount: a.parse("amount")?,
            denom: a.string("denom")?,
        },
        (Source::Escrow, "escrow-deposited") => E::Deposited {
            account: a.string("account")?,
            depositor: a.string("depositor")?,
            amount: a.parse("amount")?,
            balance: a.parse("balance")?,
            reopened: a.bool("reopened")?,
        },
        (Source::Escrow, "escrow-payment-created") => E::PaymentCreated {
            account: a.string("account")?,
            payment: a.string("payment")?,
            payee: a.string("payee")?,
            rate: a.parse("rate")?,
            denom: a.string("denom")?,
            account_rate: a.parse("account_rate")?,
            take_rate: a.opt_parse("take_rate")?,
        },
        (Source::Escrow, "escrow-payment-closed") => E::PaymentClosed {
            account: a.string("account")?,
            payment: a.string("payment")?,
            payee: a.string("payee")?,
            overdrawn: match a.str("state")? {
                "closed" => false,
                "overdrawn" => true,
                v => return Err(a.err(format!("attribute `state` = {v:?}: expected closed or overdrawn"))),
            },
            accrued: a.parse("accrued")?,
            amount: a.parse("amount")?,
            take: a.parse("take")?,
        },
        (Source::Escrow, "escrow-withdrawn") => E::Withdrawn {
            account: a.string("account")?,
            payment: a.string("payment")?,
            payee: a.string("payee")?,
            amount: a.parse("amount")?,
            take: a.parse("take")?,
        },
        (Source::Escrow, "escrow-overdrawn") => E::Overdrawn {
            account: a.string("account")?,
            funded_until: a.parse("funded_until")?,
            payments: {
                let v = a.str("payments")?;
                serde_json::from_str(v).map_err(|e| a.err(format!("attribute `payments` = {v:?}: {e}")))?
            },
            balance: a.parse("balance")?,
        },
        (Source::Escrow, "escrow-settled") => E::Settled {
            account: a.string("account")?,
            state: a.string("state")?,
            settled_at: a.parse("settled_at")?,
            balance: a.parse("balance")?,
            rate: a.parse("rate")?,
        },
        (Source::Escrow, "escrow-refunded") => {
            E::Refunded { account: a.string("account")?, depositor: a.string("depositor")?, amount: a.parse("amount")? }
        }
        (Source::Escrow, "escrow-closed") => {
            E::AccountClosed { account: a.string("account")?, refunded: a.parse("refunded")? }
        }
        // Params updates, contract links and events of later contract versions: kept in the
        // raw log, nothing to derive.
        _ => return Ok(None),
    };
    Ok(Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contracts() -> Contracts {
        Contracts { market: "m".into(), escrow: "e".into(), registry: "r".into() }
    }

    fn ev(kind: &str, contract: &str, attrs: &[(&str, &str)]) -> EventData {
        let mut a = vec![("_contract_address".to_string(), contract.to_string())];
        a.extend(attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        a.push(("msg_index".into(), "0".into()));
        EventData::new(3, kind.into(), a)
    }

    const KEY: EventKey = EventKey { height: 7, tx_index: 1, event_index: 3 };

    #[test]
    fn lease_and_escrow_events_decode_with_exact_amounts() {
        let e = ev(
            "wasm-lease-created",
            "m",
            &[("owner", "t"), ("dseq", "9"), ("gseq", "2"), ("oseq", "1"), ("provider", "p"), ("price", "12.5uusdc")],
        );
        assert_eq!(e.msg_index, Some(0));
        let id = DeploymentId::new("t", 9).group(2).order(1).bid("p");
        assert_eq!(
            market_event(&e, KEY, &contracts()).unwrap(),
            Some(MarketEvent::LeaseCreated {
                id,
                price: DecCoin { amount: Decimal256::from_str("12.5").unwrap(), denom: "uusdc".into() }
            })
        );
        let e = ev(
            "wasm-escrow-overdrawn",
            "e",
            &[
                ("account", "deployment/t/9"),
                ("funded_until", "40"),
                ("shortfall", "1.000000000000000001"),
                ("payments", r#"["2/1/p"]"#),
                ("balance", "3"),
                ("denom", "uusdc"),
            ],
        );
        let Some(MarketEvent::Overdrawn { payments, funded_until, balance, .. }) =
            market_event(&e, KEY, &contracts()).unwrap()
        else {
            panic!("not decoded")
        };
        assert_eq!(
            (payments, funded_until, balance),
            (vec!["2/1/p".to_string()], 40, Decimal256::from_str("3").unwrap())
        );
    }

    /// Anyone can emit `wasm-lease-created`: only the marketplace's own contracts count, and
    /// the market's event names from another marketplace contract mean nothing.
    #[test]
    fn events_of_other_contracts_are_ignored() {
        let attrs = [("owner", "t"), ("dseq", "9"), ("gseq", "2"), ("oseq", "1"), ("provider", "p"), ("price", "1u")];
        assert_eq!(market_event(&ev("wasm-lease-created", "evil", &attrs), KEY, &contracts()).unwrap(), None);
        assert_eq!(market_event(&ev("wasm-lease-created", "e", &attrs), KEY, &contracts()).unwrap(), None);
        assert_eq!(market_event(&ev("transfer", "m", &attrs), KEY, &contracts()).unwrap(), None);
    }

    #[test]
    fn malformed_attributes_are_errors_naming_the_event_and_attribute() {
        let e = ev("wasm-bid-created", "m", &[("owner", "t"), ("dseq", "x")]);
        let err = market_event(&e, KEY, &contracts()).unwrap_err();
        assert_eq!((err.height, err.tx_index, err.event_index), (7, 1, 3));
        assert!(err.to_string().contains("`dseq`"), "{err}");
        let e = ev("wasm-deployment-closed", "m", &[("owner", "t")]);
        assert!(market_event(&e, KEY, &contracts()).unwrap_err().to_string().contains("missing attribute `dseq`"));
        let e = ev(
            "wasm-escrow-payment-closed",
            "e",
            &[("account", "a"), ("payment", "p"), ("payee", "q"), ("state", "weird")],
        );
        assert!(market_event(&e, KEY, &contracts()).unwrap_err().to_string().contains("expected closed or overdrawn"));
    }

    #[test]
    fn coins_and_times_parse() {
        assert_eq!(parse_coin("500000uusdc").unwrap(), Coin::new(500_000u128, "uusdc"));
        assert!(parse_coin("uusdc").is_err());
        assert!(parse_coin("12").is_err());
        assert!(parse_coin("1.5uusdc").is_err());
        assert_eq!(parse_dec_coin("3333ulease").unwrap().amount, Decimal256::from_str("3333").unwrap());
        assert!(parse_dec_coin(".ulease").is_err());
        assert_eq!(parse_coins("1ulease,2ibc/ABC").unwrap().len(), 2);
        assert_eq!(parse_coins("1ulease,x"), None);
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600, 500_000_000), "2026-01-01T00:00:00.5Z");
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00Z");
    }

    proptest::proptest! {
        /// Any attribute values decode or fail with an error, never a panic.
        #[test]
        fn arbitrary_attributes_never_panic(kind in "(wasm-)?[a-z-]{0,24}", vals in proptest::collection::vec("\\PC{0,12}", 12)) {
            let names = ["owner", "dseq", "gseq", "oseq", "provider", "price", "account", "amount", "balance", "payments", "state", "reason"];
            let attrs: Vec<(&str, &str)> = names.iter().zip(vals.iter()).map(|(k, v)| (*k, v.as_str())).collect();
            for c in ["m", "e", "r"] {
                let _ = market_event(&ev(&kind, c, &attrs), KEY, &contracts());
            }
            let _ = parse_coins(&vals[0]);
            let _ = parse_dec_coin(&vals[1]);
        }
    }
}
