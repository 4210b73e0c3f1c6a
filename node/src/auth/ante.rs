//! The ante handler: what the Cosmos SDK's `x/auth/ante` decorators check and charge before a
//! transaction's messages run — timeout height, tx-size gas, minimum fee (CheckTx only), fee
//! deduction to `fee_collector`, public key, sequence, SIGN_MODE_DIRECT signature (low-S),
//! signature gas, sequence increment. Its writes (fee, sequence, public key) stay even when a
//! message later fails.

use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmwasm_std::{Coin, Decimal256, Event, Uint256};
use leasehold_wasm_host::bank::{coins_string, validate_coins};
use leasehold_wasm_host::{Bech32Api, GasMeter, HostError, TxScope};

use crate::auth::accounts::{AccountKeeper, module_address};
use crate::auth::{AUTH_STORE, FEE_COLLECTOR, FEE_DENOM};
use crate::error::TxError;
use crate::tx::{DecodedTx, TxLimits};

/// How a transaction is being run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecMode {
    /// Mempool admission: ante only, minimum gas price enforced.
    Check,
    /// The mempool's re-check after a commit: as [`ExecMode::Check`] but the signatures are not
    /// verified again (they were at admission and the signed bytes have not changed; the SDK's
    /// `ReCheckTx` skips them too). Sequences, fees and balances are checked anew.
    Recheck,
    /// Gas estimation: signatures are not verified (but charged), messages run, nothing kept.
    Simulate,
    /// Block execution.
    Deliver,
}

/// A minimum gas price such as `0.025ulease`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub amount: Decimal256,
    pub denom: String,
}

impl std::str::FromStr for GasPrice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let split = s.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(|| format!("gas price {s:?} has no denom"))?;
        let (amount, denom) = s.split_at(split);
        let amount = amount.parse::<Decimal256>().map_err(|e| format!("gas price {s:?}: {e}"))?;
        leasehold_wasm_host::bank::validate_denom(denom).map_err(|e| format!("gas price {s:?}: {e}"))?;
        Ok(GasPrice { amount, denom: denom.to_string() })
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// What the ante handler needs besides the transaction.
pub struct AnteParams<'a> {
    pub chain_id: &'a str,
    pub height: u64,
    pub limits: &'a TxLimits,
    pub mode: ExecMode,
    /// The node's minimum gas price (checked in [`ExecMode::Check`] only, as in the SDK).
    pub min_gas_price: Option<&'a GasPrice>,
    pub api: &'a Bech32Api,
}

/// Bytes of one secp256k1 signature (`r‖s`).
const SIGNATURE_BYTES: u64 = 64;

fn charge(meter: &GasMeter, amount: u64, what: &'static str) -> Result<(), TxError> {
    meter.consume(amount, what).map_err(|e| TxError::Host(HostError::OutOfGas(e)))
}

/// The fee the minimum gas price requires: `ceil(gas_limit × price)`.
fn required_fee(gas_limit: u64, price: &GasPrice) -> Uint256 {
    let total = price.amount.checked_mul(Decimal256::from_ratio(gas_limit, 1u64)).unwrap_or(Decimal256::MAX);
    total.to_uint_ceil()
}

/// Runs the ante checks in the scope's current branch; returns the `tx` events.
pub fn run_ante(
    scope: &TxScope<'_>,
    meter: &GasMeter,
    tx: &DecodedTx,
    p: &AnteParams<'_>,
) -> Result<Vec<Event>, TxError> {
    if tx.timeout_height > 0 && p.height > tx.timeout_height {
        return Err(TxError::TxTimeoutHeight(format!(
            "block height: {}, timeout height: {}",
            p.height, tx.timeout_height
        )));
    }
    charge(meter, (tx.len as u64).saturating_mul(p.limits.tx_size_cost_per_byte), "txSize")?;
    if p.mode == ExecMode::Simulate {
        // Simulations carry empty signatures; the signed tx carries 64 bytes per signer more.
        let signed = tx.signatures.iter().filter(|s| !s.is_empty()).count();
        let missing = tx.signers.len().saturating_sub(signed) as u64;
        charge(
            meter,
            missing.saturating_mul(SIGNATURE_BYTES).saturating_mul(p.limits.tx_size_cost_per_byte),
            "txSize",
        )?;
    }

    validate_coins(&tx.fee).map_err(|e| TxError::InvalidCoins(e.to_string()))?;
    if matches!(p.mode, ExecMode::Check | ExecMode::Recheck)
        && let Some(price) = p.min_gas_price
        && !price.amount.is_zero()
    {
        let required = required_fee(tx.gas_limit, price);
        let paid = tx.fee.iter().find(|c| c.denom == price.denom).map_or(Uint256::zero(), |c| c.amount);
        if paid < required {
            return Err(TxError::InsufficientFee(format!(
                "insufficient fees; got: {} required: {}{}",
                coins_string(&tx.fee),
                required,
                price.denom
            )));
        }
    }

    let keeper = AccountKeeper { api: p.api };
    let mut auth = scope.module_kv(AUTH_STORE);
    let payer = &tx.signers[0];
    if keeper.get(&mut auth, payer)?.is_none() {
        return Err(TxError::UnknownAddress(format!("fee payer address: {payer} does not exist")));
    }
    let mut events = Vec::new();
    if p.mode == ExecMode::Simulate && tx.fee.is_empty() {
        // Clients simulate with an empty fee (CosmJS does) and then pay one: charge what paying
        // costs by moving one unit of the fee denom on the simulation's throw-away branch.
        let collector = module_address(p.api, FEE_COLLECTOR);
        let _ = scope.send(&mut Vec::new(), payer, &collector, &[Coin::new(1u128, FEE_DENOM)]);
    }
    if !tx.fee.is_empty() {
        let collector = module_address(p.api, FEE_COLLECTOR);
        let mut fee_events = Vec::new();
        scope.send(&mut fee_events, payer, &collector, &tx.fee).map_err(|e| match e {
            HostError::Bank(b) => TxError::InsufficientFunds(format!("{b}: insufficient funds to pay for fees")),
            other => TxError::Host(other),
        })?;
        events.extend(fee_events);
    }
    events
        .push(Event::new("tx").add_attribute("fee", coins_string(&tx.fee)).add_attribute("fee_payer", payer.as_str()));

    for (i, signer) in tx.signers.iter().enumerate() {
        let info = &tx.signer_infos[i];
        let mut account = keeper
            .get(&mut auth, signer)?
            .ok_or_else(|| TxError::UnknownAddress(format!("account {signer} does not exist")))?;
        if let Some(pk) = &info.public_key {
            // Signature checks and addresses are leasehold-keys' (one implementation for the
            // node, the client and the tests); addresses compared as canonical bytes. Hashing
            // the bytes is enough here: a key that is not a curve point fails the signature
            // check, and decompressing it twice would double the cost of every signer.
            let signer_bytes = p.api.canonicalize(signer).map_err(|e| TxError::InvalidAddress(e.to_string()))?;
            if leasehold_keys::account_address_bytes(pk).as_slice() != signer_bytes.as_slice() {
                return Err(TxError::InvalidPubKey(format!(
                    "pubKey does not match signer address {signer} with signer index: {i}"
                )));
            }
        }
        let pk = match (account.pub_key, info.public_key) {
            (Some(stored), _) => Some(stored),
            (None, Some(given)) => {
                account.pub_key = Some(given);
                Some(given)
            }
            (None, None) if p.mode == ExecMode::Simulate => None,
            (None, None) => {
                return Err(TxError::InvalidPubKey(format!("pubkey on account {signer} is not set")));
            }
        };
        charge(meter, p.limits.sig_verify_cost_secp256k1, "ante verify: secp256k1")?;
        if info.sequence != account.sequence {
            return Err(TxError::WrongSequence(format!(
                "account sequence mismatch, expected {}, got {}",
                account.sequence, info.sequence
            )));
        }
        if p.mode != ExecMode::Simulate {
            if info.sign_mode != SignMode::Direct {
                return Err(TxError::Unauthorized(format!(
                    "signature mode {} is not supported; use SIGN_MODE_DIRECT",
                    info.sign_mode.as_str_name()
                )));
            }
            let pk = pk.ok_or_else(|| TxError::InvalidPubKey(format!("pubkey on account {signer} is not set")))?;
            let sign_bytes = tx.sign_bytes(p.chain_id, account.account_number);
            if p.mode == ExecMode::Recheck {
                // Verified at admission; the bytes are the same.
            } else if let Err(why) = leasehold_keys::verify(&pk, &sign_bytes, &tx.signatures[i]) {
                return Err(TxError::Unauthorized(format!(
                    "signature verification failed ({why}); please verify account number ({}), sequence ({}) and chain-id ({})",
                    account.account_number, account.sequence, p.chain_id
                )));
            }
        }
        events.push(Event::new("tx").add_attribute("acc_seq", format!("{signer}/{}", account.sequence)));
        account.sequence += 1;
        keeper.set(&mut auth, &account)?;
    }
    for sig in &tx.signatures {
        use cosmwasm_std::Binary;
        events.push(Event::new("tx").add_attribute("signature", Binary::from(sig.as_slice()).to_base64()));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_prices_parse_and_round_fees_up() {
        let p: GasPrice = "0.025ulease".parse().unwrap();
        assert_eq!(p.denom, "ulease");
        assert_eq!(required_fee(200_000, &p), Uint256::from(5_000u32));
        assert_eq!(required_fee(1, &p), Uint256::from(1u32));
        assert!("ulease".parse::<GasPrice>().is_err());
        assert!("0.1".parse::<GasPrice>().is_err());
        assert!("x0.1u".parse::<GasPrice>().is_err());
    }
}
