//! Subscription queries: CometBFT's query language (parsed by tendermint-rpc's grammar:
//! `tm.event='NewBlock'`, `tm.event='Tx' AND wasm.action='create_bid' AND tx.height>5`, with
//! `=`, `<`, `<=`, `>`, `>=`, `CONTAINS` and `EXISTS`) evaluated against an event's attribute
//! map (`"type.key" -> values`), as CometBFT's pubsub does: a condition holds when any value of
//! its key satisfies it.

use std::collections::BTreeMap;

use tendermint_rpc::query::{Operand, Operation, Query};

use super::error::RpcError;

/// Longest query accepted (CometBFT's `maxQueryLength`).
pub const MAX_QUERY_LEN: usize = 512;

/// A parsed subscription query.
#[derive(Clone, Debug)]
pub struct Subscription {
    /// The text the client sent (echoed in every event, and what `unsubscribe` names).
    pub text: String,
    /// Every `tm.event = '...'` condition (CometBFT accepts it more than once, e.g. CosmJS's
    /// `subscribeTx("tm.event='Tx' AND ...")` sends `tm.event='Tx' AND tm.event='Tx' AND ...`;
    /// tendermint-rpc's parser accepts it once).
    event_types: Vec<String>,
    /// The other conditions.
    query: Query,
}

/// Splits a query on the keyword `AND` outside quotes.
fn split_and(q: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in q.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        } else if !quoted
            && c.is_whitespace()
            && q[i..].len() > 4
            && q.get(i + 1..i + 4).is_some_and(|w| w.eq_ignore_ascii_case("AND"))
            && q[i + 4..].starts_with(char::is_whitespace)
        {
            parts.push(&q[start..i]);
            start = i + 4;
        }
    }
    parts.push(&q[start..]);
    parts
}

fn parse_query(text: &str) -> Result<Query, RpcError> {
    text.parse().map_err(|e: tendermint_rpc::Error| {
        let detail = e.detail().to_string();
        let detail = detail.trim_start_matches("invalid params error: ");
        RpcError::invalid_params(if detail.starts_with("failed to parse query") {
            detail.to_string()
        } else {
            format!("failed to parse query: {detail}")
        })
    })
}

impl Subscription {
    pub fn parse(text: &str) -> Result<Self, RpcError> {
        if text.len() > MAX_QUERY_LEN {
            return Err(RpcError::invalid_params("maximum query length exceeded"));
        }
        if text.trim().is_empty() {
            return Err(RpcError::invalid_params("failed to parse query: the query is empty"));
        }
        let mut event_types = Vec::new();
        let mut rest = Vec::new();
        for term in split_and(text).into_iter().map(str::trim) {
            let is_event_type =
                term.trim_start().strip_prefix("tm.event").is_some_and(|r| r.trim_start().starts_with('='));
            if !is_event_type {
                rest.push(term);
                continue;
            }
            match parse_query(term)? {
                Query { event_type: Some(t), conditions } if conditions.is_empty() => event_types.push(t.to_string()),
                Query { event_type: None, conditions } => {
                    for c in conditions {
                        match c.operation {
                            Operation::Eq(Operand::String(v)) if c.key == "tm.event" => event_types.push(v),
                            _ => return Err(RpcError::invalid_params(format!("failed to parse query: {term:?}"))),
                        }
                    }
                }
                _ => return Err(RpcError::invalid_params(format!("failed to parse query: {term:?}"))),
            }
        }
        let query = if rest.is_empty() { Query::default() } else { parse_query(&rest.join(" AND "))? };
        event_types.sort();
        event_types.dedup();
        Ok(Subscription { text: text.to_string(), event_types, query })
    }

    /// Whether two queries are the same (ignoring spacing), as `unsubscribe` compares them.
    pub fn same_as(&self, other: &Subscription) -> bool {
        self.event_types == other.event_types && self.query.to_string() == other.query.to_string()
    }

    /// Whether an event with these attributes matches.
    pub fn matches(&self, attrs: &BTreeMap<String, Vec<String>>) -> bool {
        let kinds = attrs.get("tm.event");
        let has = |want: &str| kinds.is_some_and(|v| v.iter().any(|e| e == want));
        if !self.event_types.iter().all(|t| has(t)) {
            return false;
        }
        if let Some(t) = &self.query.event_type
            && !has(&t.to_string())
        {
            return false;
        }
        self.query.conditions.iter().all(|c| {
            let Some(values) = attrs.get(&c.key) else { return false };
            values.iter().any(|v| holds(&c.operation, v))
        })
    }
}

fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

fn operand_number(o: &Operand) -> Option<f64> {
    match o {
        Operand::Signed(i) => Some(*i as f64),
        Operand::Unsigned(u) => Some(*u as f64),
        Operand::Float(f) => Some(*f),
        _ => None,
    }
}

fn operand_text(o: &Operand) -> String {
    match o {
        Operand::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compares an attribute value with an operand: numerically when the operand is a number,
/// else as text (dates in RFC 3339 order as text).
fn compare(value: &str, o: &Operand) -> Option<std::cmp::Ordering> {
    match operand_number(o) {
        Some(n) => number(value)?.partial_cmp(&n),
        None => Some(value.cmp(operand_text(o).trim_matches('\''))),
    }
}

fn holds(op: &Operation, value: &str) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Operation::Exists => true,
        Operation::Contains(s) => value.contains(s.as_str()),
        Operation::Eq(o) => compare(value, o) == Some(Equal),
        Operation::Lt(o) => compare(value, o) == Some(Less),
        Operation::Lte(o) => matches!(compare(value, o), Some(Less | Equal)),
        Operation::Gt(o) => compare(value, o) == Some(Greater),
        Operation::Gte(o) => matches!(compare(value, o), Some(Greater | Equal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any query text is parsed or refused, and a parsed one can be matched, without a panic.
        #[test]
        fn arbitrary_queries_never_panic(q in "\\PC{0,80}", v in "\\PC{0,20}") {
            if let Ok(s) = Subscription::parse(&q) {
                let _ = s.matches(&attrs(&[("tm.event", "Tx"), ("a.b", v.as_str()), ("tx.height", v.as_str())]));
            }
        }
    }

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            m.entry(k.to_string()).or_default().push(v.to_string());
        }
        m
    }

    #[test]
    fn matches_like_cometbft() {
        let tx = attrs(&[
            ("tm.event", "Tx"),
            ("tx.height", "12"),
            ("message.sender", "lease1a"),
            ("wasm.action", "create_bid"),
            ("wasm.action", "transfer"),
        ]);
        let yes = |q: &str| Subscription::parse(q).unwrap().matches(&tx);
        assert!(yes("tm.event='Tx'"));
        assert!(yes("tm.event='Tx' AND tm.event = 'Tx' AND message.sender='lease1a'"), "CosmJS repeats tm.event");
        assert!(!yes("tm.event='Tx' AND tm.event='NewBlock'"));
        assert!(yes("tm.event = 'Tx' AND wasm.action = 'transfer'"));
        assert!(yes("tm.event='Tx' AND tx.height>11 AND tx.height<=12 AND message.sender EXISTS"));
        assert!(yes("wasm.action CONTAINS 'bid'"));
        assert!(!yes("tm.event='NewBlock'"));
        assert!(!yes("tm.event='Tx' AND wasm.action='close'"));
        assert!(!yes("tm.event='Tx' AND tx.height>12"));
        assert!(!yes("tm.event='Tx' AND lease.id EXISTS"));
    }

    #[test]
    fn refuses_bad_queries() {
        for q in ["", "tm.event=", "tm.event='Tx' AND", "tm.event=5", "a.b = unquoted", "é", &"x".repeat(600)] {
            let e = Subscription::parse(q).unwrap_err();
            assert_eq!(e.code, RpcError::INVALID_PARAMS, "{q}");
        }
        let a = Subscription::parse("tm.event='Tx'  AND  a.b='c'").unwrap();
        assert!(a.same_as(&Subscription::parse("tm.event = 'Tx' AND a.b = 'c'").unwrap()));
    }
}
