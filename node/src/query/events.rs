//! The event query language of `GetTxsEvent` / `tx_search` (CometBFT's, the subset its kv
//! indexer answers without a range scan): conditions `type.key=value` joined by `AND`, values
//! quoted with `'` or bare numbers; `tx.height` also takes `<`, `<=`, `>`, `>=`.

/// One parsed query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// `type.key=value` strings every matching tx is indexed under.
    pub equal: Vec<String>,
    /// Inclusive height bounds from `tx.height` comparisons.
    pub min_height: Option<u64>,
    pub max_height: Option<u64>,
}

impl EventQuery {
    pub fn matches_height(&self, h: u64) -> bool {
        self.min_height.is_none_or(|m| h >= m) && self.max_height.is_none_or(|m| h <= m)
    }
}

fn split_and(q: &str) -> Vec<&str> {
    // Split on the keyword AND outside quotes.
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    let bytes = q.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b' ' if !quoted && bytes.get(i..i + 5).is_some_and(|w| w.eq_ignore_ascii_case(b" AND ")) => {
                parts.push(&q[start..i]);
                i += 5;
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&q[start..]);
    parts
}

/// Parses `query`; errors name the offending condition.
pub fn parse(query: &str) -> Result<EventQuery, String> {
    let query = query.trim();
    if query.is_empty() {
        return Err("query cannot be empty".into());
    }
    let mut out = EventQuery::default();
    for cond in split_and(query) {
        let cond = cond.trim();
        let ops = ["<=", ">=", "=", "<", ">"];
        let (pos, op) = ops
            .iter()
            .filter_map(|op| cond.find(op).map(|p| (p, *op)))
            .min_by_key(|(p, op)| (*p, usize::MAX - op.len()))
            .ok_or_else(|| format!("condition {cond:?} has no operator"))?;
        let key = cond[..pos].trim();
        let raw = cond[pos + op.len()..].trim();
        if key.is_empty() || !key.contains('.') {
            return Err(format!("condition {cond:?}: the key must be type.attribute"));
        }
        let value = if raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\'') {
            raw[1..raw.len() - 1].to_string()
        } else if !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit()) {
            raw.to_string()
        } else {
            return Err(format!("condition {cond:?}: the value must be quoted ('...') or a number"));
        };
        if key == "tx.height" {
            let h: u64 = value.parse().map_err(|_| format!("condition {cond:?}: tx.height must be a number"))?;
            let (lo, hi) = match op {
                "=" => (Some(h), Some(h)),
                ">=" => (Some(h), None),
                ">" => (Some(h.saturating_add(1)), None),
                "<=" => (None, Some(h)),
                _ => (None, Some(h.saturating_sub(1))),
            };
            if let Some(lo) = lo {
                out.min_height = Some(out.min_height.map_or(lo, |m: u64| m.max(lo)));
            }
            if let Some(hi) = hi {
                out.max_height = Some(out.max_height.map_or(hi, |m: u64| m.min(hi)));
            }
            if op == "=" {
                out.equal.push(format!("tx.height={h}"));
            }
        } else if op == "=" {
            let value = if key == "tx.hash" { value.to_ascii_uppercase() } else { value };
            out.equal.push(format!("{key}={value}"));
        } else {
            return Err(format!("condition {cond:?}: only tx.height supports {op}"));
        }
    }
    if out.equal.is_empty() {
        return Err("the query needs at least one equality condition (e.g. message.sender='lease1...')".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any query text gets a result or an error message, never a panic.
        #[test]
        fn arbitrary_queries_never_panic(q in "\\PC{0,80}") {
            let _ = parse(&q);
        }
    }

    #[test]
    fn parses_cometbft_queries() {
        let q = parse("message.sender='lease1x' AND tx.height>=5 AND tx.height<9 AND wasm.action = 'a AND b'").unwrap();
        assert_eq!(q.equal, vec!["message.sender=lease1x".to_string(), "wasm.action=a AND b".to_string()]);
        assert_eq!((q.min_height, q.max_height), (Some(5), Some(8)));
        let q = parse("tx.height=7").unwrap();
        assert_eq!(q.equal, vec!["tx.height=7".to_string()]);
        assert!(parse("tx.hash='ab'").unwrap().equal[0].ends_with("=AB"));
        // Multi-byte characters next to the separator must not split a character.
        assert_eq!(parse("a.b='é' AND c.d='ü'").unwrap().equal, vec!["a.b=é".to_string(), "c.d=ü".to_string()]);
        for bad in ["", "message.sender", "sender='x'", "a.b=unquoted", "a.b>'x'", "tx.height>3", "é", "a.é AND"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
