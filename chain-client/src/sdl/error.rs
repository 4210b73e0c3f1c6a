//! The one error type of the SDL module: what is wrong, at which field path, at which line and
//! column of the YAML text.

use std::fmt;

use leasehold_types::ValidationError;
use thiserror::Error;

/// A position in the YAML text, both 1-based (as editors show them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// An SDL that cannot be used: the field it is about, where that field is in the text, and why.
///
/// `Display` reads `profiles.compute.web.resources.cpu.units (line 14, column 16): "abc" is not a
/// CPU quantity ...`. Errors about the text as a whole (syntax, an empty file) use the path `SDL`.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error(transparent)]
pub struct SdlError(Box<Inner>);

#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{} ({location}): {kind}", if path.is_empty() { "SDL" } else { path.as_str() })]
struct Inner {
    path: String,
    location: Location,
    kind: SdlErrorKind,
}

impl SdlError {
    pub(crate) fn new(path: impl Into<String>, location: Location, kind: SdlErrorKind) -> Self {
        Self(Box::new(Inner { path: path.into(), location, kind }))
    }

    /// Dotted path of the offending field, e.g. `services.web.expose[0].port`; empty for errors
    /// about the text as a whole.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// Where the offending node (or key) starts in the YAML text.
    pub fn location(&self) -> Location {
        self.0.location
    }

    pub fn line(&self) -> usize {
        self.0.location.line
    }

    pub fn column(&self) -> usize {
        self.0.location.column
    }

    pub fn kind(&self) -> &SdlErrorKind {
        &self.0.kind
    }
}

/// What is wrong. Every variant is reported with the field path and position of [`SdlError`].
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdlErrorKind {
    /// The text is not valid YAML.
    #[error("invalid YAML: {message}")]
    Syntax { message: String },

    /// The text holds no YAML document (or only a null).
    #[error("the SDL is empty")]
    Empty,

    /// Nesting or alias expansion beyond the parser's limits.
    #[error("the document is too complex: {reason}")]
    TooComplex { reason: String },

    /// A mapping holds the same key twice.
    #[error("duplicate key {key:?}")]
    DuplicateKey { key: String },

    /// A key the SDL does not define at this place.
    #[error("unknown field {field:?}; expected one of: {expected}")]
    UnknownField { field: String, expected: String },

    /// A required field is absent.
    #[error("missing required field {field:?}")]
    MissingField { field: String },

    /// A node of the wrong YAML kind (a list where a mapping is expected, ...).
    #[error("expected {expected}, found {found}")]
    WrongType { expected: &'static str, found: &'static str },

    /// `version` is not one of the supported SDL versions.
    #[error("unsupported SDL version {version:?}; supported: \"2.0\", \"2.1\"")]
    UnsupportedVersion { version: String },

    /// A scalar that does not parse or breaks a rule of the SDL; `problem` completes the sentence.
    #[error("{value:?} {problem}")]
    InvalidValue { value: String, problem: String },

    /// A name that refers to something the SDL does not define.
    #[error("no {what} named {name:?}")]
    UnknownReference { what: &'static str, name: String },

    /// A deployment uses a compute profile its placement has no price for.
    #[error("placement {placement:?} has no pricing for compute profile {profile:?}")]
    MissingPricing { placement: String, profile: String },

    /// A rule of the SDL that involves more than one field.
    #[error("{message}")]
    Invalid { message: String },

    /// Valid Akash SDL that Leasehold cannot honour.
    #[error("{feature} is not supported: {reason}")]
    Unsupported { feature: String, reason: String },

    /// The mapped group specs break a rule of the market contract (`leasehold-types` validation).
    #[error("refused by the market's validation: {error}")]
    Market { error: ValidationError },
}
