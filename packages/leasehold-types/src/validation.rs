//! Errors raised by content-only validation of messages (no chain state needed).

use thiserror::Error;

/// A message field that breaks a rule. Each variant names the field it is about so a client
/// can show the user exactly what to fix.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum ValidationError {
    #[error("{field}: must not be empty")]
    Empty { field: String },

    #[error("{field}: {len} is longer than the limit of {max}")]
    TooLong { field: String, len: usize, max: usize },

    #[error("{field}: {count} entries exceed the limit of {max}")]
    TooMany { field: String, count: usize, max: usize },

    #[error("{field}: {value} is outside the allowed range {min}..={max}")]
    OutOfRange { field: String, value: String, min: String, max: String },

    #[error("{field}: duplicate entry {value:?}")]
    Duplicate { field: String, value: String },

    #[error("{field}: invalid attribute key {key:?}: {reason}")]
    InvalidAttributeKey { field: String, key: String, reason: &'static str },

    #[error("{field}: invalid value {value:?}: {reason}")]
    InvalidValue { field: String, value: String, reason: &'static str },

    #[error("{field}: denom {found} differs from {expected}; one deployment is priced in one denom")]
    MixedDenoms { field: String, expected: String, found: String },

    #[error("{field}: arithmetic overflow")]
    Overflow { field: String },
}

impl ValidationError {
    pub(crate) fn empty(field: impl Into<String>) -> Self {
        Self::Empty { field: field.into() }
    }

    pub(crate) fn too_long(field: impl Into<String>, len: usize, max: usize) -> Self {
        Self::TooLong { field: field.into(), len, max }
    }

    pub(crate) fn too_many(field: impl Into<String>, count: usize, max: usize) -> Self {
        Self::TooMany { field: field.into(), count, max }
    }

    pub(crate) fn out_of_range(
        field: impl Into<String>,
        value: impl ToString,
        min: impl ToString,
        max: impl ToString,
    ) -> Self {
        Self::OutOfRange { field: field.into(), value: value.to_string(), min: min.to_string(), max: max.to_string() }
    }

    pub(crate) fn duplicate(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self::Duplicate { field: field.into(), value: value.into() }
    }

    pub(crate) fn invalid(field: impl Into<String>, value: impl Into<String>, reason: &'static str) -> Self {
        Self::InvalidValue { field: field.into(), value: value.into(), reason }
    }
}

/// Checks that a free-text field is non-empty (when `required`), at most `max` bytes long and
/// free of control characters.
pub fn check_text(field: &str, value: &str, required: bool, max: usize) -> Result<(), ValidationError> {
    if required && value.is_empty() {
        return Err(ValidationError::empty(field));
    }
    if value.len() > max {
        return Err(ValidationError::too_long(field, value.len(), max));
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::invalid(field, value, "control characters are not allowed"));
    }
    Ok(())
}
