//! Checks of the coins attached to a message, shared by the three contracts.

use cosmwasm_std::{Coin, MessageInfo};
use thiserror::Error;

/// Attached funds that a message does not accept.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum FundsError {
    #[error("{action} accepts no funds")]
    NonPayable { action: String },

    #[error("{action}: no coin attached; send exactly one coin")]
    NoCoin { action: String },

    #[error("{action}: {count} coins attached; send exactly one coin")]
    TooManyCoins { action: String, count: usize },

    #[error("{action} needs a non-zero amount, got 0{denom}")]
    ZeroAmount { action: String, denom: String },
}

/// Refuses any attached coin (the `cw_utils::nonpayable` rule).
pub fn nonpayable(info: &MessageInfo, action: &str) -> Result<(), FundsError> {
    if info.funds.is_empty() { Ok(()) } else { Err(FundsError::NonPayable { action: action.to_string() }) }
}

/// The single, non-zero coin attached to a payable message.
pub fn one_coin(info: &MessageInfo, action: &str) -> Result<Coin, FundsError> {
    match info.funds.as_slice() {
        [coin] if coin.amount.is_zero() => {
            Err(FundsError::ZeroAmount { action: action.to_string(), denom: coin.denom.clone() })
        }
        [coin] => Ok(coin.clone()),
        [] => Err(FundsError::NoCoin { action: action.to_string() }),
        funds => Err(FundsError::TooManyCoins { action: action.to_string(), count: funds.len() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::message_info;
    use cosmwasm_std::{Addr, coin};

    #[test]
    fn funds_rules() {
        let sender = Addr::unchecked("sender");
        assert_eq!(nonpayable(&message_info(&sender, &[]), "x"), Ok(()));
        assert!(matches!(nonpayable(&message_info(&sender, &[coin(1, "u")]), "x"), Err(FundsError::NonPayable { .. })));
        assert_eq!(one_coin(&message_info(&sender, &[coin(5, "u")]), "x"), Ok(coin(5, "u")));
        assert!(matches!(one_coin(&message_info(&sender, &[coin(0, "u")]), "x"), Err(FundsError::ZeroAmount { .. })));
        assert!(matches!(one_coin(&message_info(&sender, &[]), "x"), Err(FundsError::NoCoin { .. })));
        assert!(matches!(
            one_coin(&message_info(&sender, &[coin(1, "a"), coin(1, "b")]), "x"),
            Err(FundsError::TooManyCoins { count: 2, .. })
        ));
    }
}
