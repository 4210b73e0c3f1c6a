//! What every key file carries in clear, whatever the backend: name, address, public key, HD path
//! and creation time; plus the rules for key names, the format version probe and the JSON error
//! messages.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::error::KeyringError;
use super::{Backend, FORMAT_VERSION, KeyInfo};
use crate::address::decode_address;
use crate::error::KeyError;
use crate::key::{COIN_TYPE, PublicKey};

/// Longest key name.
pub(crate) const MAX_NAME_LEN: usize = 64;

/// Checks a key name: 1-64 characters from `[A-Za-z0-9._-]`, the first a letter or digit. That
/// rules out path separators, `.`/`..`, hidden files (the keyring's temporary files start with a
/// dot) and names a command line would take for a flag.
pub(crate) fn validate_name(name: &str) -> Result<(), KeyringError> {
    let invalid = |reason| Err(KeyringError::InvalidName { name: name.to_owned(), reason });
    if name.is_empty() {
        return invalid("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return invalid("it is longer than 64 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return invalid("only ASCII letters, digits, '.', '_' and '-' are allowed");
    }
    if !name.as_bytes()[0].is_ascii_alphanumeric() {
        return invalid("it must start with a letter or a digit");
    }
    Ok(())
}

/// `m/44'/118'/0'/0/`, the path of every key up to its account index.
fn hd_path_prefix() -> String {
    format!("m/44'/{COIN_TYPE}'/0'/0/")
}

/// `m/44'/118'/0'/0/{account_index}`.
pub(crate) fn hd_path(account_index: u32) -> String {
    format!("{}{account_index}", hd_path_prefix())
}

/// The account index of a canonical `m/44'/118'/0'/0/{i}` path with `i < 2^31`.
pub(crate) fn parse_hd_path(path: &str) -> Option<u32> {
    let digits = path.strip_prefix(&hd_path_prefix())?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse::<u32>().ok().filter(|index| *index < 1 << 31)
}

/// Seconds since the Unix epoch, truncated (files record whole seconds).
pub(crate) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, whole seconds).
pub(crate) fn format_rfc3339(time: SystemTime) -> String {
    let secs = i64::try_from(unix_seconds(time)).unwrap_or(i64::MAX);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Parses exactly the form [`format_rfc3339`] writes, years 1970-9999.
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = &text[range];
        digits.bytes().all(|c| c.is_ascii_digit()).then(|| digits.parse().ok()).flatten()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if year < 1970 || !(1..=12).contains(&month) || day < 1 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Refuses 31 February and the like: the day must survive the round trip.
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    let secs = u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// The clear-text fields of a key file, as written in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicFields {
    pub name: String,
    pub address: String,
    pub public_key: String,
    pub hd_path: String,
    pub created_at: String,
}

impl PublicFields {
    /// The fields of a new key.
    pub(crate) fn of(info: &KeyInfo) -> Self {
        Self {
            name: info.name.clone(),
            address: info.address.clone(),
            public_key: hex::encode(info.public_key.as_bytes()),
            hd_path: info.hd_path(),
            created_at: format_rfc3339(info.created_at),
        }
    }

    /// Validates the fields read from `path`, expected to hold key `expected_name` of a keyring
    /// with bech32 `prefix`, and turns them into a [`KeyInfo`].
    pub(crate) fn validate(
        self,
        path: &Path,
        expected_name: &str,
        prefix: &str,
        backend: Backend,
    ) -> Result<KeyInfo, KeyringError> {
        let corrupt = |reason: &str| KeyringError::corrupt(path, reason);
        if self.name != expected_name {
            return Err(corrupt(&format!(
                "the file is named for key {expected_name:?} but holds key {:?}; key files cannot be renamed",
                self.name
            )));
        }
        validate_name(&self.name).map_err(|_| corrupt("the key name is invalid"))?;
        let pubkey_bytes = hex::decode(&self.public_key).map_err(|_| corrupt("the public key is not hex"))?;
        let public_key = PublicKey::try_from(pubkey_bytes.as_slice())
            .map_err(|e| corrupt(&format!("the public key is invalid: {e}")))?;
        if self.public_key != hex::encode(pubkey_bytes) {
            return Err(corrupt("the public key is not lower-case hex"));
        }
        let address_bytes = decode_address(prefix, &self.address).map_err(|e| match e {
            KeyError::WrongPrefix { expected, found } => {
                KeyringError::WrongPrefix { path: path.to_owned(), expected, found }
            }
            other => corrupt(&format!("the address is invalid: {other}")),
        })?;
        if address_bytes != public_key.address_bytes() {
            return Err(corrupt("the address does not belong to the public key"));
        }
        let account_index = parse_hd_path(&self.hd_path)
            .ok_or_else(|| corrupt("the HD path is not of the form m/44'/118'/0'/0/<index below 2^31>"))?;
        let created_at = parse_rfc3339(&self.created_at)
            .ok_or_else(|| corrupt("created_at is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ"))?;
        Ok(KeyInfo { name: self.name, address: self.address, public_key, account_index, created_at, backend })
    }
}

/// Checks the `version` field before the file is parsed as a whole, so a newer file is refused
/// as such rather than as corrupt.
pub(crate) fn check_version(path: &Path, bytes: &[u8], redact: bool) -> Result<(), KeyringError> {
    #[derive(Deserialize)]
    struct Probe {
        version: Option<u64>,
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e, redact))?;
    match probe.version {
        None => Err(KeyringError::corrupt(path, "there is no format version field")),
        Some(found) if found == u64::from(FORMAT_VERSION) => Ok(()),
        Some(found) => {
            Err(KeyringError::UnsupportedVersion { path: path.to_owned(), found, supported: FORMAT_VERSION })
        }
    }
}

/// A `CorruptKeyFile` for a JSON error. serde_json quotes string values in some messages, so for
/// files holding a secret in clear (`redact`), only the category and position are kept.
pub(crate) fn json_error(path: &Path, err: &serde_json::Error, redact: bool) -> KeyringError {
    let reason = if redact {
        format!("invalid key file JSON ({:?} error at line {}, column {})", err.classify(), err.line(), err.column())
    } else {
        format!("invalid key file JSON: {err}")
    };
    KeyringError::corrupt(path, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_matches_known_dates() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (4_102_444_799, "2099-12-31T23:59:59Z"),
        ] {
            let time = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(format_rfc3339(time), text);
            assert_eq!(parse_rfc3339(text), Some(time));
        }
    }

    #[test]
    fn malformed_times_are_refused() {
        for text in [
            "",
            "2023-11-14 22:13:20Z",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20+00:00",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-11-14T24:00:00Z",
            "1969-12-31T23:59:59Z",
            "2023-1a-14T22:13:20Z",
            "+023-11-14T22:13:20Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }

    #[test]
    fn hd_paths_parse_only_in_canonical_form() {
        assert_eq!(hd_path(7), "m/44'/118'/0'/0/7");
        for index in [0, 1, 7, 1000, (1 << 31) - 1] {
            assert_eq!(parse_hd_path(&hd_path(index)), Some(index));
        }
        for path in [
            "m/44'/118'/0'/0/",
            "m/44'/118'/0'/0/01",
            "m/44'/118'/0'/0/+1",
            "m/44'/118'/0'/0/2147483648",
            "m/44'/118'/0'/0/1'",
            "m/44'/60'/0'/0/0",
            "m/44'/118'/1'/0/0",
        ] {
            assert_eq!(parse_hd_path(path), None, "{path}");
        }
    }

    #[test]
    fn names_follow_the_rules() {
        for name in ["a", "alice", "Alice_2", "validator-0", "my.key", "0", &"x".repeat(64)] {
            assert!(validate_name(name).is_ok(), "{name}");
        }
        for name in [
            "",
            ".",
            "..",
            ".hidden",
            "-flag",
            "_x",
            "a/b",
            "../a",
            "a\\b",
            "a b",
            "a\0b",
            "caf\u{e9}",
            &"x".repeat(65),
        ] {
            assert!(matches!(validate_name(name), Err(KeyringError::InvalidName { .. })), "{name:?}");
        }
    }
}
