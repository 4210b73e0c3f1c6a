//! Parsing what users type: coins (`5000000uusdc`), decimal prices (`1.5uusdc`), attributes
//! (`key=value`), and the slash-separated ids `bids list` prints.

use std::str::FromStr;

use cosmwasm_std::{Coin, DecCoin, Decimal256, Uint256};
use leasehold_types::attributes::Attribute;
use leasehold_types::ids::{BidId, OrderId};

use crate::cli::error::CliError;

fn split_denom<'a>(s: &'a str, what: &str) -> Result<(&'a str, &'a str), CliError> {
    let at = s.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(|| {
        CliError::usage(format!("{what} {s:?}: expected an amount followed by a denom, e.g. 1000000ulease"))
    })?;
    let (amount, denom) = s.split_at(at);
    if amount.is_empty() {
        return Err(CliError::usage(format!("{what} {s:?}: the amount is missing")));
    }
    Ok((amount, denom))
}

/// `1000000ulease` → one coin (positive integer amount).
pub fn coin(s: &str, what: &str) -> Result<Coin, CliError> {
    let (amount, denom) = split_denom(s.trim(), what)?;
    let amount = Uint256::from_str(amount)
        .map_err(|_| CliError::usage(format!("{what} {s:?}: {amount:?} is not a whole number")))?;
    if amount.is_zero() {
        return Err(CliError::usage(format!("{what} {s:?}: the amount must be positive")));
    }
    Ok(Coin { denom: denom.to_string(), amount })
}

/// `100ulease,5uusdc` → coins sorted by denom.
pub fn coins(s: &str, what: &str) -> Result<Vec<Coin>, CliError> {
    let mut out =
        s.split(',').filter(|p| !p.trim().is_empty()).map(|p| coin(p, what)).collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.denom.cmp(&b.denom));
    Ok(out)
}

/// `1.5uusdc` → a decimal coin (price per block).
pub fn dec_coin(s: &str, what: &str) -> Result<DecCoin, CliError> {
    let (amount, denom) = split_denom(s.trim(), what)?;
    let amount = Decimal256::from_str(amount)
        .map_err(|_| CliError::usage(format!("{what} {s:?}: {amount:?} is not a decimal number")))?;
    Ok(DecCoin { denom: denom.to_string(), amount })
}

/// `key=value`.
pub fn attribute(s: &str) -> Result<Attribute, CliError> {
    let (k, v) = s.split_once('=').ok_or_else(|| CliError::usage(format!("attribute {s:?}: expected key=value")))?;
    Ok(Attribute { key: k.trim().to_string(), value: v.trim().to_string() })
}

fn parts<'a>(s: &'a str, n: usize, what: &str, shape: &str) -> Result<Vec<&'a str>, CliError> {
    let p: Vec<&str> = s.split('/').collect();
    if p.len() != n || p.iter().any(|x| x.is_empty()) {
        return Err(CliError::usage(format!("{what} {s:?}: expected {shape}")));
    }
    Ok(p)
}

fn num<T: FromStr>(s: &str, what: &str, field: &str) -> Result<T, CliError> {
    s.parse().map_err(|_| CliError::usage(format!("{what}: {field} {s:?} is not a number")))
}

/// `OWNER/DSEQ/GSEQ/OSEQ`.
pub fn order_id(s: &str) -> Result<OrderId, CliError> {
    let p = parts(s, 4, "order", "OWNER/DSEQ/GSEQ/OSEQ")?;
    Ok(OrderId {
        owner: p[0].to_string(),
        dseq: num(p[1], "order", "dseq")?,
        gseq: num(p[2], "order", "gseq")?,
        oseq: num(p[3], "order", "oseq")?,
    })
}

/// `OWNER/DSEQ/GSEQ/OSEQ/PROVIDER` (a bid, and the lease it becomes).
pub fn bid_id(s: &str) -> Result<BidId, CliError> {
    let p = parts(s, 5, "bid", "OWNER/DSEQ/GSEQ/OSEQ/PROVIDER")?;
    Ok(BidId {
        owner: p[0].to_string(),
        dseq: num(p[1], "bid", "dseq")?,
        gseq: num(p[2], "bid", "gseq")?,
        oseq: num(p[3], "bid", "oseq")?,
        provider: p[4].to_string(),
    })
}

pub fn bid_string(b: &BidId) -> String {
    format!("{}/{}/{}/{}/{}", b.owner, b.dseq, b.gseq, b.oseq, b.provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_ids() {
        assert_eq!(coin("5uusdc", "x").unwrap(), Coin::new(5u128, "uusdc"));
        for bad in ["uusdc", "5", "-5uusdc", "0ulease", "1.5ulease", ""] {
            assert!(matches!(coin(bad, "amount"), Err(CliError::Usage(_))), "{bad}");
        }
        assert_eq!(
            coins("2b1,1a1", "x").unwrap().iter().map(|c| c.denom.as_str()).collect::<Vec<_>>(),
            vec!["a1", "b1"]
        );
        assert_eq!(dec_coin("1.5uusdc", "price").unwrap().amount, Decimal256::from_str("1.5").unwrap());
        let b = bid_id("lease1o/3/1/2/lease1p").unwrap();
        assert_eq!((b.dseq, b.gseq, b.oseq, b.provider.as_str()), (3, 1, 2, "lease1p"));
        assert_eq!(bid_string(&b), "lease1o/3/1/2/lease1p");
        for bad in ["a/1/1/1", "a/x/1/1/p", "a/1/1/1/p/q", "//1/1/p"] {
            assert!(bid_id(bad).is_err(), "{bad}");
        }
        assert!(order_id("o/1/1/1").is_ok());
        assert!(attribute("novalue").is_err());
    }
}
