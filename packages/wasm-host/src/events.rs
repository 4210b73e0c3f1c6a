//! Events of a contract response, as wasmd builds them (`x/wasm/keeper/events.go`).

use cosmwasm_std::{Attribute, Event};

use crate::error::HostError;

/// The attribute wasmd adds to every event a contract causes.
pub const CONTRACT_ADDRESS_KEY: &str = "_contract_address";

const RESERVED_PREFIX: char = '_';

/// An attribute built without cosmwasm-std's check (which, in debug builds, panics on the
/// reserved `_` prefix the host itself uses).
pub fn attr(key: impl Into<String>, value: impl Into<String>) -> Attribute {
    Attribute { key: key.into(), value: value.into() }
}

/// An event emitted by the host itself, e.g. `execute` with `_contract_address`.
pub fn host_event(ty: &str, attrs: &[(&str, &str)]) -> Event {
    let mut e = Event::new(ty);
    e.attributes = attrs.iter().map(|(k, v)| attr(*k, *v)).collect();
    e
}
const MIN_EVENT_TYPE_LEN: usize = 2;

/// The contract's attributes, trimmed and checked, after `_contract_address`.
fn attributes(custom: &[Attribute], contract: &str) -> Result<Vec<Attribute>, HostError> {
    let mut out = Vec::with_capacity(custom.len() + 1);
    out.push(attr(CONTRACT_ADDRESS_KEY, contract));
    for a in custom {
        let key = a.key.trim();
        if key.is_empty() {
            return Err(HostError::InvalidEvent(format!("Empty attribute key. Value: {}", a.value)));
        }
        if key.starts_with(RESERVED_PREFIX) {
            return Err(HostError::InvalidEvent(format!(
                "Attribute key starts with reserved prefix {RESERVED_PREFIX}: '{key}'"
            )));
        }
        out.push(attr(key, a.value.trim()));
    }
    Ok(out)
}

/// The `wasm` event carrying a response's attributes.
pub fn wasm_event(custom: &[Attribute], contract: &str) -> Result<Event, HostError> {
    let mut e = Event::new("wasm");
    e.attributes = attributes(custom, contract)?;
    Ok(e)
}

/// Each custom event as `wasm-<type>` with `_contract_address` first.
pub fn custom_events(events: &[Event], contract: &str) -> Result<Vec<Event>, HostError> {
    events
        .iter()
        .map(|e| {
            let ty = e.ty.trim();
            if ty.len() <= MIN_EVENT_TYPE_LEN {
                return Err(HostError::InvalidEvent(format!("Event type too short: '{ty}'")));
            }
            let mut out = Event::new(format!("wasm-{ty}"));
            out.attributes = attributes(&e.attributes, contract)?;
            Ok(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_checks_events() {
        let e = wasm_event(&[Attribute::new(" action ", " go ")], "lease1c").unwrap();
        assert_eq!(e.ty, "wasm");
        assert_eq!(e.attributes, vec![attr("_contract_address", "lease1c"), attr("action", "go")]);
        let c = custom_events(&[Event::new("lease-created").add_attribute("id", "1")], "lease1c").unwrap();
        assert_eq!(c[0].ty, "wasm-lease-created");
        assert_eq!(c[0].attributes[0].key, "_contract_address");
        assert!(matches!(wasm_event(&[attr("_x", "1")], "c"), Err(HostError::InvalidEvent(_))));
        assert!(matches!(wasm_event(&[attr("  ", "1")], "c"), Err(HostError::InvalidEvent(_))));
        assert!(matches!(custom_events(&[Event::new(" ab ")], "c"), Err(HostError::InvalidEvent(_))));
    }
}
