//! Provider and placement attributes, auditor requirements and how they match.
//!
//! Keys follow Akash's syntax: a letter, then letters, digits, `_`, `/`, `.` or `-`, 2 to 128
//! characters in all. Placement requirements may end a key with `*`, a glob that matches the
//! rest of one path segment (Go's `path.Match` semantics: `*` never crosses a `/`).

use cosmwasm_schema::cw_serde;

use crate::validation::{ValidationError, check_text};

/// Longest attribute key (Akash: `^[a-zA-Z][\w/.-]{1,126}[\w*]?$`).
pub const MAX_KEY_LEN: usize = 128;
/// Longest attribute value.
pub const MAX_VALUE_LEN: usize = 256;
/// Most attributes a provider, an audit record or a placement may carry.
pub const MAX_ATTRIBUTES: usize = 64;
/// Most auditors a placement may list in each of `all_of` and `any_of`.
pub const MAX_SIGNERS: usize = 8;

/// A key/value pair describing a provider (region, tier, GPU capability, ...).
#[cw_serde]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

impl Attribute {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self { key: key.into(), value: value.into() }
    }
}

/// Which auditors must have signed the placement attributes of a group.
///
/// Semantics (Akash's code and documentation disagree; this is ours, stated once):
/// - `all_of`: **every** listed auditor must have signed, for this provider, attributes that
///   satisfy all of the group's placement attributes;
/// - `any_of`: **at least one** listed auditor must have done so;
/// - both set: both conditions must hold;
/// - both empty: no audit is required.
///
/// An auditor "has signed" only if it holds an audit record for the provider; an auditor with
/// no record never satisfies a requirement, even when the group lists no attributes.
#[cw_serde]
#[derive(Default)]
pub struct SignedBy {
    pub all_of: Vec<String>,
    pub any_of: Vec<String>,
}

impl SignedBy {
    pub fn is_empty(&self) -> bool {
        self.all_of.is_empty() && self.any_of.is_empty()
    }

    /// Every auditor address named, `all_of` first, without duplicates.
    pub fn auditors(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::with_capacity(self.all_of.len() + self.any_of.len());
        for a in self.all_of.iter().chain(self.any_of.iter()) {
            if !out.contains(&a.as_str()) {
                out.push(a);
            }
        }
        out
    }

    /// Checks list sizes and duplicates inside each list. Addresses are validated by the contract.
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        for (name, list) in [("all_of", &self.all_of), ("any_of", &self.any_of)] {
            let f = format!("{field}.{name}");
            if list.len() > MAX_SIGNERS {
                return Err(ValidationError::too_many(f, list.len(), MAX_SIGNERS));
            }
            for (i, a) in list.iter().enumerate() {
                if list[..i].contains(a) {
                    return Err(ValidationError::duplicate(f, a.clone()));
                }
            }
        }
        Ok(())
    }

    /// Applies the semantics above. `signed(auditor)` returns the attributes that auditor signed
    /// for the provider, or `None` when it holds no record.
    pub fn is_satisfied<'a>(
        &self,
        required: &[Attribute],
        mut signed: impl FnMut(&str) -> Option<&'a [Attribute]>,
    ) -> bool {
        let mut covers = |auditor: &str| signed(auditor).is_some_and(|attrs| attributes_match(required, attrs));
        let all = self.all_of.iter().all(|a| covers(a));
        let any = self.any_of.is_empty() || self.any_of.iter().any(|a| covers(a));
        all && any
    }
}

/// Validates one key. `allow_wildcard` permits a trailing `*` (placement requirements only).
pub fn validate_key(field: &str, key: &str, allow_wildcard: bool) -> Result<(), ValidationError> {
    let bad = |reason| ValidationError::InvalidAttributeKey { field: field.to_string(), key: key.to_string(), reason };
    let bytes = key.as_bytes();
    if bytes.len() < 2 {
        return Err(bad("must be at least 2 characters"));
    }
    if bytes.len() > MAX_KEY_LEN {
        return Err(bad("must be at most 128 characters"));
    }
    if !bytes[0].is_ascii_alphabetic() {
        return Err(bad("must start with a letter"));
    }
    let last = bytes.len() - 1;
    for (i, &b) in bytes.iter().enumerate().skip(1) {
        let ok = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'.' | b'-');
        if ok {
            continue;
        }
        if b == b'*' {
            if !allow_wildcard {
                return Err(bad("wildcards are only allowed in placement requirements"));
            }
            if i != last {
                return Err(bad("`*` is only allowed as the last character"));
            }
            continue;
        }
        return Err(bad("only letters, digits, `_`, `/`, `.` and `-` are allowed"));
    }
    Ok(())
}

/// Validates a list of attributes: key syntax, value text, count and no duplicate keys.
pub fn validate_attributes(field: &str, attrs: &[Attribute], allow_wildcard: bool) -> Result<(), ValidationError> {
    if attrs.len() > MAX_ATTRIBUTES {
        return Err(ValidationError::too_many(field, attrs.len(), MAX_ATTRIBUTES));
    }
    for (i, a) in attrs.iter().enumerate() {
        validate_key(&format!("{field}[{i}].key"), &a.key, allow_wildcard)?;
        check_text(&format!("{field}[{i}].value"), &a.value, true, MAX_VALUE_LEN)?;
        if attrs[..i].iter().any(|b| b.key == a.key) {
            return Err(ValidationError::duplicate(field, a.key.clone()));
        }
    }
    Ok(())
}

/// Go `path.Match` restricted to the syntax our keys allow: `*` matches any run of characters
/// other than `/`; every other character matches itself.
pub fn glob_match(pattern: &str, key: &str) -> bool {
    let p = pattern.as_bytes();
    let k = key.as_bytes();
    // Iterative matcher with one backtrack point (sufficient because `*` cannot cross `/`).
    let (mut pi, mut ki) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ki < k.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ki));
            pi += 1;
        } else if pi < p.len() && p[pi] == k[ki] {
            pi += 1;
            ki += 1;
        } else if let Some((sp, sk)) = star {
            if k[sk] == b'/' {
                return false;
            }
            pi = sp + 1;
            ki = sk + 1;
            star = Some((sp, sk + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// True when every required attribute is matched by some provided attribute
/// (glob on the key, exact value).
pub fn attributes_match(required: &[Attribute], provided: &[Attribute]) -> bool {
    required.iter().all(|r| provided.iter().any(|p| r.value == p.value && glob_match(&r.key, &p.key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(k: &str, v: &str) -> Attribute {
        Attribute::new(k, v)
    }

    #[test]
    fn key_syntax_follows_akash() {
        for ok in ["region", "capabilities/gpu/vendor/nvidia/model/h100", "tier.a-b_c", "r1"] {
            validate_key("k", ok, false).unwrap();
        }
        validate_key("k", "capabilities/gpu/vendor/nvidia/model/*", true).unwrap();
        for bad in ["", "r", "1region", "/region", "re gion", "région", "a*b", "ab\n"] {
            assert!(validate_key("k", bad, true).is_err(), "{bad:?} accepted");
        }
        assert!(validate_key("k", "region*", false).is_err());
        assert!(validate_key("k", &"a".repeat(129), false).is_err());
        validate_key("k", &"a".repeat(128), false).unwrap();
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = validate_attributes("attributes", &[a("region", "eu"), a("region", "us")], false).unwrap_err();
        assert_eq!(err, ValidationError::duplicate("attributes", "region"));
    }

    #[test]
    fn glob_stays_within_one_segment() {
        assert!(glob_match("vendor/nvidia/model/*", "vendor/nvidia/model/h100"));
        assert!(!glob_match("vendor/nvidia/model/*", "vendor/nvidia/model/h100/ram/80Gi"));
        assert!(glob_match("region*", "region-eu"));
        assert!(!glob_match("region", "region-eu"));
        assert!(glob_match("region", "region"));
        assert!(!glob_match("reg*", "region/x"));
    }

    #[test]
    fn attribute_match_needs_equal_values() {
        let provided = [a("region", "eu-west"), a("tier", "1")];
        assert!(attributes_match(&[a("region", "eu-west")], &provided));
        assert!(!attributes_match(&[a("region", "us-east")], &provided));
        assert!(attributes_match(&[a("reg*", "eu-west"), a("tier", "1")], &provided));
        assert!(attributes_match(&[], &provided));
    }

    #[test]
    fn signed_by_semantics() {
        let req = [a("region", "eu")];
        let good = vec![a("region", "eu")];
        let other = vec![a("region", "us")];
        let lookup = |name: &str| -> Option<&[Attribute]> {
            match name {
                "good" => Some(good.as_slice()),
                "other" => Some(other.as_slice()),
                _ => None,
            }
        };
        let s = |all: &[&str], any: &[&str]| SignedBy {
            all_of: all.iter().map(|x| x.to_string()).collect(),
            any_of: any.iter().map(|x| x.to_string()).collect(),
        };
        assert!(s(&[], &[]).is_satisfied(&req, lookup));
        assert!(s(&["good"], &[]).is_satisfied(&req, lookup));
        assert!(!s(&["good", "other"], &[]).is_satisfied(&req, lookup));
        assert!(s(&[], &["other", "good"]).is_satisfied(&req, lookup));
        assert!(!s(&[], &["other", "nobody"]).is_satisfied(&req, lookup));
        // both lists: both conditions must hold
        assert!(s(&["good"], &["good"]).is_satisfied(&req, lookup));
        assert!(!s(&["good"], &["other"]).is_satisfied(&req, lookup));
        // an auditor without a record never satisfies, even with no attributes required
        assert!(!s(&["nobody"], &[]).is_satisfied(&[], lookup));
        assert!(s(&["other"], &[]).is_satisfied(&[], lookup));
    }

    proptest! {
        #[test]
        fn literal_patterns_match_only_themselves(key in "[a-z][a-z0-9/]{1,20}", other in "[a-z][a-z0-9/]{1,20}") {
            prop_assert!(glob_match(&key, &key));
            prop_assert_eq!(glob_match(&key, &other), key == other);
        }

        #[test]
        fn star_matches_any_segment_suffix(prefix in "[a-z]{2,8}/", seg in "[a-z0-9]{0,8}", rest in "/[a-z]{1,4}") {
            let pattern = format!("{prefix}*");
            let matching = format!("{prefix}{seg}");
            let crossing = format!("{prefix}{seg}{rest}");
            prop_assert!(glob_match(&pattern, &matching));
            prop_assert!(!glob_match(&pattern, &crossing));
        }
    }
}
