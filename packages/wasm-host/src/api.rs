//! Bech32 addresses as the SDK and wasmd handle them, and the VM's `BackendApi` over them.

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};
use cosmwasm_vm::{BackendApi, BackendError, BackendResult, GasInfo};

use crate::gas::{WASM_GAS, to_vm_gas};

/// The default account address prefix.
pub const DEFAULT_PREFIX: &str = "lease";

/// Why an address string or byte string is not a valid account address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("empty address string is not allowed")]
    Empty,
    #[error("decoding bech32 failed: {0}")]
    Bech32(String),
    #[error("invalid Bech32 prefix; expected {expected}, got {got}")]
    WrongPrefix { expected: String, got: String },
    #[error("address length must be 20 or 32 bytes, got {0}")]
    BadLength(usize),
    #[error("address not normalized")]
    NotNormalized,
}

/// Bech32 (classic, not bech32m) account addresses with one human-readable prefix. Canonical
/// addresses are 20 bytes (accounts) or 32 bytes (contracts), as wasmd's address verifier requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bech32Api {
    prefix: String,
    hrp: Hrp,
}

impl Default for Bech32Api {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX).unwrap_or_else(|_| unreachable!("the default prefix is valid"))
    }
}

impl Bech32Api {
    /// An API for addresses with human-readable part `prefix` (lower-case ASCII).
    pub fn new(prefix: &str) -> Result<Self, AddressError> {
        let hrp = Hrp::parse(prefix).map_err(|e| AddressError::Bech32(e.to_string()))?;
        if prefix.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(AddressError::NotNormalized);
        }
        Ok(Self { prefix: prefix.to_string(), hrp })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `sdk.AccAddressFromBech32`: decodes and checks prefix and length (accepts an all-upper-case
    /// string, as bech32 does).
    pub fn canonicalize(&self, human: &str) -> Result<Vec<u8>, AddressError> {
        if human.trim().is_empty() {
            return Err(AddressError::Empty);
        }
        let parsed = CheckedHrpstring::new::<Bech32>(human).map_err(|e| AddressError::Bech32(e.to_string()))?;
        let hrp = parsed.hrp();
        if hrp != self.hrp {
            return Err(AddressError::WrongPrefix { expected: self.prefix.clone(), got: hrp.to_lowercase() });
        }
        let bytes: Vec<u8> = parsed.byte_iter().collect();
        check_len(&bytes)?;
        Ok(bytes)
    }

    /// `sdk.AccAddress(canonical).String()`.
    pub fn humanize(&self, canonical: &[u8]) -> Result<String, AddressError> {
        check_len(canonical)?;
        bech32::encode_lower::<Bech32>(self.hrp, canonical).map_err(|e| AddressError::Bech32(e.to_string()))
    }

    /// wasmd's `validateAddress`: canonicalizes and requires the input to be the normal form.
    pub fn validate(&self, human: &str) -> Result<(), AddressError> {
        let canonical = self.canonicalize(human)?;
        if self.humanize(&canonical)? != human {
            return Err(AddressError::NotNormalized);
        }
        Ok(())
    }
}

fn check_len(bytes: &[u8]) -> Result<(), AddressError> {
    match bytes.len() {
        20 | 32 => Ok(()),
        0 => Err(AddressError::Empty),
        n => Err(AddressError::BadLength(n)),
    }
}

fn gas(sdk: u64) -> GasInfo {
    GasInfo::with_cost(to_vm_gas(sdk))
}

/// The VM calls: invalid input is a user error (the contract gets an `Err`), never a VM abort.
/// Costs are wasmd's (`x/wasm/keeper/api.go`): humanize 5, canonicalize 4, validate 9 SDK gas
/// (validate costs 4 when decoding already fails).
impl BackendApi for Bech32Api {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let canonicalize = WASM_GAS.canonicalize_cost;
        let validate = WASM_GAS.canonicalize_cost + WASM_GAS.humanize_cost;
        match self.canonicalize(input) {
            Err(e) => (Err(BackendError::user_err(e.to_string())), gas(canonicalize)),
            Ok(c) => match self.humanize(&c) {
                Ok(h) if h == input => (Ok(()), gas(validate)),
                Ok(_) => (Err(BackendError::user_err(AddressError::NotNormalized.to_string())), gas(validate)),
                Err(e) => (Err(BackendError::user_err(e.to_string())), gas(validate)),
            },
        }
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        let result = self.canonicalize(human).map_err(|e| BackendError::user_err(e.to_string()));
        (result, gas(WASM_GAS.canonicalize_cost))
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        let result = self.humanize(canonical).map_err(|e| BackendError::user_err(e.to_string()));
        (result, gas(WASM_GAS.humanize_cost))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(api: &Bech32Api, byte: u8, len: usize) -> String {
        api.humanize(&vec![byte; len]).unwrap()
    }

    #[test]
    fn round_trips_20_and_32_bytes() {
        let api = Bech32Api::default();
        for len in [20, 32] {
            let h = addr(&api, 7, len);
            assert!(h.starts_with("lease1"));
            assert_eq!(api.canonicalize(&h).unwrap(), vec![7; len]);
            api.validate(&h).unwrap();
        }
        assert_eq!(api.humanize(&[1; 21]), Err(AddressError::BadLength(21)));
    }

    #[test]
    fn upper_case_is_decodable_but_not_valid() {
        let api = Bech32Api::default();
        let h = addr(&api, 9, 20);
        let upper = h.to_uppercase();
        assert_eq!(api.canonicalize(&upper).unwrap(), vec![9; 20]);
        assert_eq!(api.validate(&upper), Err(AddressError::NotNormalized));
        let (res, info) = api.addr_validate(&upper);
        assert!(matches!(res, Err(BackendError::UserErr { .. })));
        assert_eq!(info.cost, 9 * 140_000);
        // Mixed case is not even bech32.
        let mixed = format!("LEASE{}", &h[5..]);
        assert!(matches!(api.validate(&mixed), Err(AddressError::Bech32(_))));
    }

    #[test]
    fn wrong_prefix_and_garbage_are_user_errors() {
        let api = Bech32Api::default();
        let other = Bech32Api::new("cosmos").unwrap();
        let h = addr(&other, 1, 20);
        assert_eq!(api.validate(&h), Err(AddressError::WrongPrefix { expected: "lease".into(), got: "cosmos".into() }));
        for bad in ["", "lease1", "lease1qqqq", "not an address", &"a".repeat(2000)] {
            let (res, info) = api.addr_validate(bad);
            assert!(matches!(res, Err(BackendError::UserErr { .. })), "{bad}");
            assert_eq!(info.cost, 4 * 140_000);
        }
        // A bech32m string with the right prefix is rejected (the SDK only speaks bech32).
        let m = bech32::encode::<bech32::Bech32m>(Hrp::parse("lease").unwrap(), &[3; 20]).unwrap();
        assert!(api.validate(&m).is_err());
    }

    #[test]
    fn humanize_and_canonicalize_costs() {
        let api = Bech32Api::default();
        let (r, g) = api.addr_humanize(&[5; 20]);
        assert!(r.is_ok());
        assert_eq!(g.cost, 5 * 140_000);
        let (r, g) = api.addr_canonicalize("bad");
        assert!(matches!(r, Err(BackendError::UserErr { .. })));
        assert_eq!(g.cost, 4 * 140_000);
    }
}
