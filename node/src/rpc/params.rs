//! Method parameters: each method declares its parameters ([`Param`]: name and kind), and a
//! call's parameters, by name (a JSON object) or by position (a JSON array of exactly that many),
//! become typed [`Args`]. The encodings are CometBFT's: 64-bit integers as decimal strings (plain
//! JSON numbers are accepted too), `[]byte` as base64, `HexBytes` (only `abci_query.data`) as hex.
//! The GET form (`/method?name=value`) has its own rules in [`super::uri`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use super::error::RpcError;

/// How a parameter is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    /// Bytes as base64 (`[]byte` in CometBFT).
    Bytes,
    /// Bytes as hex (`bytes.HexBytes`).
    HexBytes,
    Int,
    Bool,
}

/// One declared parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
}

pub const fn param(name: &'static str, kind: Kind) -> Param {
    Param { name, kind }
}

/// A decoded parameter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Str(String),
    Bytes(Vec<u8>),
    Int(i64),
    Bool(bool),
}

/// A call's decoded parameters, in the order the method declares them (`None`: not given).
#[derive(Clone, Debug, Default)]
pub struct Args {
    names: Vec<&'static str>,
    values: Vec<Option<Arg>>,
}

impl Args {
    pub fn new(spec: &[Param], values: Vec<Option<Arg>>) -> Self {
        Args { names: spec.iter().map(|p| p.name).collect(), values }
    }

    fn get(&self, name: &str) -> Option<&Arg> {
        let i = self.names.iter().position(|n| *n == name)?;
        self.values.get(i)?.as_ref()
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Arg::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        match self.get(name) {
            Some(Arg::Bytes(b)) => Some(b),
            _ => None,
        }
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Arg::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(Arg::Bool(b)) => Some(*b),
            _ => None,
        }
    }
}

fn bad(e: impl std::fmt::Display) -> RpcError {
    RpcError::invalid_params(format!("error converting json params to arguments: {e}"))
}

/// Reads one JSON value as a parameter of `kind` (`null`: not given).
pub fn from_value(p: &Param, v: &Value) -> Result<Option<Arg>, String> {
    let name = p.name;
    let arg = match (p.kind, v) {
        (_, Value::Null) => return Ok(None),
        (Kind::Str, Value::String(s)) => Arg::Str(s.clone()),
        (Kind::Bytes, Value::String(s)) => {
            Arg::Bytes(B64.decode(s).map_err(|e| format!("{name}: illegal base64 data: {e}"))?)
        }
        (Kind::HexBytes, Value::String(s)) => {
            Arg::Bytes(hex::decode(s).map_err(|e| format!("{name}: invalid hex: {e}"))?)
        }
        (Kind::Int, Value::String(s)) => {
            Arg::Int(s.parse().map_err(|_| format!("{name}: invalid 64-bit integer {s:?}"))?)
        }
        (Kind::Int, Value::Number(n)) => {
            Arg::Int(n.as_i64().ok_or_else(|| format!("{name}: invalid 64-bit integer {n}"))?)
        }
        (Kind::Bool, Value::Bool(b)) => Arg::Bool(*b),
        (kind, other) => {
            let expected = match kind {
                Kind::Str => "a string",
                Kind::Bytes => "a base64 string",
                Kind::HexBytes => "a hex string",
                Kind::Int => "a 64-bit integer (as a decimal string)",
                Kind::Bool => "true or false",
            };
            return Err(format!("{name}: expected {expected}, got {}", short(other)));
        }
    };
    Ok(Some(arg))
}

/// A JSON value shortened for an error message.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

/// A JSON-RPC `params` member (absent, `null`, an object or an array) as `spec`'s arguments.
pub fn from_json(spec: &[Param], params: Option<&Value>) -> Result<Args, RpcError> {
    let values = match params {
        None | Some(Value::Null) => vec![None; spec.len()],
        Some(Value::Object(map)) => {
            // Unknown names are ignored, as CometBFT does.
            spec.iter()
                .map(|p| map.get(p.name).map_or(Ok(None), |v| from_value(p, v)))
                .collect::<Result<_, _>>()
                .map_err(bad)?
        }
        Some(Value::Array(list)) => {
            if list.is_empty() {
                vec![None; spec.len()]
            } else if list.len() != spec.len() {
                let names: Vec<&str> = spec.iter().map(|p| p.name).collect();
                return Err(bad(format!("expected {} parameters ({names:?}), got {}", spec.len(), list.len())));
            } else {
                spec.iter().zip(list).map(|(p, v)| from_value(p, v)).collect::<Result<_, _>>().map_err(bad)?
            }
        }
        Some(other) => return Err(bad(format!("params must be an object or an array, got {}", short(other)))),
    };
    Ok(Args::new(spec, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: &[Param] = &[
        param("path", Kind::Str),
        param("data", Kind::HexBytes),
        param("height", Kind::Int),
        param("prove", Kind::Bool),
        param("tx", Kind::Bytes),
    ];

    #[test]
    fn reads_named_and_positional_params() {
        let a =
            from_json(SPEC, Some(&json!({"path": "/x", "data": "0aff", "height": "7", "prove": true, "tx": "AQI="})))
                .unwrap();
        assert_eq!(a.str("path"), Some("/x"));
        assert_eq!(a.bytes("data"), Some(&[0x0a, 0xff][..]));
        assert_eq!(a.int("height"), Some(7));
        assert_eq!(a.bool("prove"), Some(true));
        assert_eq!(a.bytes("tx"), Some(&[1, 2][..]));
        let a = from_json(SPEC, Some(&json!(["/y", null, 3, false, null]))).unwrap();
        assert_eq!((a.str("path"), a.int("height"), a.bytes("tx")), (Some("/y"), Some(3), None));
        assert!(from_json(SPEC, None).unwrap().str("path").is_none());
    }

    #[test]
    fn refuses_wrong_types_and_encodings() {
        for bad in [
            json!({"height": true}),
            json!({"height": "12a"}),
            json!({"height": 1.5}),
            json!({"data": "zz"}),
            json!({"tx": "not base64!"}),
            json!({"path": 5}),
            json!({"prove": "yes"}),
            json!(["only one"]),
            json!("a string"),
        ] {
            let e = from_json(SPEC, Some(&bad)).unwrap_err();
            assert_eq!(e.code, RpcError::INVALID_PARAMS, "{bad}");
            assert!(e.data.starts_with("error converting json params to arguments: "), "{}", e.data);
        }
    }
}
