//! How to reach a node and how to pay for transactions.

use std::str::FromStr;
use std::time::Duration;

use cosmwasm_std::{Decimal256, Uint256};

use crate::client::error::ClientError;

/// A gas price such as `0.025ulease`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub amount: Decimal256,
    pub denom: String,
}

impl FromStr for GasPrice {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<Self, ClientError> {
        let split = s
            .find(|c: char| c.is_ascii_alphabetic())
            .ok_or_else(|| ClientError::invalid("gas price", format!("{s:?} has no denom (e.g. 0.025ulease)")))?;
        let (amount, denom) = s.split_at(split);
        let amount =
            amount.parse::<Decimal256>().map_err(|e| ClientError::invalid("gas price", format!("{s:?}: {e}")))?;
        Ok(GasPrice { amount, denom: denom.to_string() })
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

impl GasPrice {
    /// `ceil(gas × price)`.
    pub fn fee_for(&self, gas: u64) -> Uint256 {
        self.amount.checked_mul(Decimal256::from_ratio(gas, 1u64)).unwrap_or(Decimal256::MAX).to_uint_ceil()
    }
}

/// Gas limit of a transaction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gas {
    /// Simulate, then use `used × adjustment`.
    Auto { adjustment: f64 },
    /// A fixed limit.
    Fixed(u64),
}

/// Connection and payment settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// gRPC endpoint, e.g. `http://127.0.0.1:9090`.
    pub endpoint: String,
    /// `None`: ask the node (GetNodeInfo).
    pub chain_id: Option<String>,
    pub gas_price: GasPrice,
    pub gas: Gas,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries of transient failures (with exponential backoff from 200 ms).
    pub retries: u32,
    /// How long to wait for a broadcast tx to be included.
    pub inclusion_timeout: Duration,
    /// Bech32 account prefix.
    pub prefix: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            endpoint: "http://127.0.0.1:9090".into(),
            chain_id: None,
            gas_price: GasPrice { amount: Decimal256::permille(25), denom: "ulease".into() },
            gas: Gas::Auto { adjustment: 1.3 },
            timeout: Duration::from_secs(10),
            retries: 3,
            inclusion_timeout: Duration::from_secs(60),
            prefix: "lease".into(),
        }
    }
}
