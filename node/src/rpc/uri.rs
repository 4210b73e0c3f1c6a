//! The GET form of a call, `/<method>?name=value&...`, read with CometBFT's URI rules
//! (`rpc/jsonrpc/server/http_uri_handler.go`): an integer may be bare (`height=5`), `0x...` is
//! hex for bytes and strings, a quoted string (`"..."`) is a string or the raw bytes of one, and
//! anything else is read as JSON (`prove=true`, `height="5"`). An empty value means "not given".

use serde_json::Value;

use super::error::RpcError;
use super::params::{Arg, Args, Kind, Param, from_value};

fn bad(e: impl std::fmt::Display) -> RpcError {
    RpcError::invalid_params(format!("error converting http params to arguments: {e}"))
}

fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// One raw (URL-decoded) value as a parameter.
fn arg(p: &Param, raw: &str) -> Result<Option<Arg>, String> {
    let name = p.name;
    if raw.is_empty() {
        return Ok(None);
    }
    if p.kind == Kind::Int && is_int(raw) {
        return raw.parse().map(|i| Some(Arg::Int(i))).map_err(|_| format!("{name}: invalid 64-bit integer {raw:?}"));
    }
    let quoted = raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"');
    if let Some(hex_digits) = raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X")) {
        let bytes = || hex::decode(hex_digits).map_err(|e| format!("{name}: invalid hex: {e}"));
        return match p.kind {
            Kind::Bytes | Kind::HexBytes => Ok(Some(Arg::Bytes(bytes()?))),
            Kind::Str => String::from_utf8(bytes()?)
                .map(|s| Some(Arg::Str(s)))
                .map_err(|_| format!("{name}: the hex string is not UTF-8 text")),
            Kind::Int => Err(format!("{name}: got a hex string arg, but expected 'int64'")),
            Kind::Bool => Err(format!("{name}: got a hex string arg, but expected 'bool'")),
        };
    }
    if quoted && matches!(p.kind, Kind::Bytes | Kind::HexBytes) {
        let s: String = serde_json::from_str(raw).map_err(|e| format!("{name}: {e}"))?;
        return Ok(Some(Arg::Bytes(s.into_bytes())));
    }
    let value: Value = serde_json::from_str(raw).map_err(|_| match p.kind {
        Kind::Str => format!("{name}: a string must be quoted (\"...\") or 0x-hex, got {raw:?}"),
        _ => format!("{name}: cannot read {raw:?}"),
    })?;
    from_value(p, &value)
}

/// The query string of a GET call as `spec`'s arguments (unknown names are ignored).
pub fn from_query(spec: &[Param], query: Option<&str>) -> Result<Args, RpcError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect();
    let values = spec
        .iter()
        .map(|p| {
            // The first non-empty occurrence wins (Go's `url.Values.Get` takes the first).
            let raw = pairs.iter().find(|(k, _)| k == p.name).map_or("", |(_, v)| v.as_str());
            arg(p, raw)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    Ok(Args::new(spec, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::params::param;
    use proptest::prelude::*;

    proptest! {
        /// Any query string is read or refused, never a panic.
        #[test]
        fn arbitrary_query_strings_never_panic(q in "\\PC{0,120}", v in "(0x|\"|-)?[0-9a-zA-Z%\"]{0,20}") {
            let _ = from_query(SPEC, Some(&q));
            for name in ["path", "data", "height", "prove", "hash"] {
                let _ = from_query(SPEC, Some(&format!("{name}={v}")));
            }
        }
    }

    const SPEC: &[Param] = &[
        param("path", Kind::Str),
        param("data", Kind::HexBytes),
        param("height", Kind::Int),
        param("prove", Kind::Bool),
        param("hash", Kind::Bytes),
    ];

    #[test]
    fn reads_cometbft_uri_values() {
        let a = from_query(SPEC, Some("path=%22/a/b%22&data=0x0AFF&height=12&prove=true&hash=0x01")).unwrap();
        assert_eq!(a.str("path"), Some("/a/b"));
        assert_eq!(a.bytes("data"), Some(&[0x0a, 0xff][..]));
        assert_eq!(a.int("height"), Some(12));
        assert_eq!(a.bool("prove"), Some(true));
        assert_eq!(a.bytes("hash"), Some(&[1][..]));
        let a = from_query(SPEC, Some("path=0x2f78&height=%225%22&hash=%22ab%22&data=")).unwrap();
        assert_eq!((a.str("path"), a.int("height"), a.bytes("hash")), (Some("/x"), Some(5), Some(&b"ab"[..])));
        assert_eq!(a.bytes("data"), None);
        assert!(from_query(SPEC, None).unwrap().int("height").is_none());
    }

    #[test]
    fn refuses_what_cometbft_refuses() {
        for q in [
            "path=/unquoted",
            "height=0x10",
            "height=abc",
            "data=0xzz",
            "prove=maybe",
            "hash=%22",
            "height=99999999999999999999",
        ] {
            let e = from_query(SPEC, Some(q)).unwrap_err();
            assert_eq!(e.code, RpcError::INVALID_PARAMS, "{q}");
            assert!(e.data.starts_with("error converting http params to arguments: "), "{q}: {}", e.data);
        }
    }
}
