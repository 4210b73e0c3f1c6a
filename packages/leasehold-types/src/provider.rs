//! Messages of the `provider` contract: the provider registry and auditor attestations.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::Addr;

use crate::attributes::Attribute;
use crate::validation::{ValidationError, check_text};

/// Longest host URI.
pub const MAX_HOST_URI_LEN: usize = 256;
/// Longest contact field (email, website).
pub const MAX_INFO_LEN: usize = 256;

#[cw_serde]
pub struct InstantiateMsg {
    /// The market contract asked before a provider is deleted. `None` means the instantiating
    /// account is the market (the market instantiates the registry).
    pub market: Option<String>,
}

/// Contact details shown to tenants.
#[cw_serde]
#[derive(Default)]
pub struct ProviderInfo {
    pub email: String,
    pub website: String,
}

impl ProviderInfo {
    /// Checks both fields: at most [`MAX_INFO_LEN`] bytes, no control characters or whitespace;
    /// a non-empty `email` has exactly one `@` with text on both sides; a non-empty `website`
    /// starts with `http://` or `https://` followed by something. Both may be empty.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_text("info.email", &self.email, false, MAX_INFO_LEN)?;
        check_text("info.website", &self.website, false, MAX_INFO_LEN)?;
        for (field, value) in [("info.email", &self.email), ("info.website", &self.website)] {
            if value.chars().any(char::is_whitespace) {
                return Err(ValidationError::invalid(field, value.as_str(), "whitespace is not allowed"));
            }
        }
        if !self.email.is_empty() {
            let well_formed = matches!(
                self.email.split_once('@'),
                Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            );
            if !well_formed {
                return Err(ValidationError::invalid(
                    "info.email",
                    self.email.as_str(),
                    "must contain exactly one `@` with text on both sides",
                ));
            }
        }
        if !self.website.is_empty() {
            let rest = self.website.strip_prefix("https://").or_else(|| self.website.strip_prefix("http://"));
            if rest.is_none_or(str::is_empty) {
                return Err(ValidationError::invalid(
                    "info.website",
                    self.website.as_str(),
                    "must start with `http://` or `https://` followed by an address",
                ));
            }
        }
        Ok(())
    }
}

/// Checks a provider's host URI; on refusal returns the reason.
///
/// Accepted: `https://` (lowercase), then a host, an optional `:port` (1 to 65535), then
/// nothing or a single `/`. The host is a DNS name (dot-separated labels of letters, digits and
/// `-`, 1 to 63 characters each, not starting or ending with `-`, 253 characters in all), an
/// IPv4 address, or an IPv6 address in brackets. Refused: anything longer than
/// [`MAX_HOST_URI_LEN`], whitespace or control characters, userinfo (`user@`), a path, a query
/// and a fragment. A host whose last label is all digits must be a valid IPv4 address.
pub fn validate_host_uri(uri: &str) -> Result<(), &'static str> {
    if uri.len() > MAX_HOST_URI_LEN {
        return Err("longer than MAX_HOST_URI_LEN (256 bytes)");
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("whitespace and control characters are not allowed");
    }
    let rest = uri.strip_prefix("https://").ok_or("must start with `https://`")?;
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    match tail.strip_prefix('/').unwrap_or(tail).chars().next() {
        None => {}
        Some('?') => return Err("a query is not allowed"),
        Some('#') => return Err("a fragment is not allowed"),
        Some(_) => return Err("a path is not allowed (only a single trailing `/`)"),
    }
    if authority.contains('@') {
        return Err("userinfo is not allowed");
    }
    let port = if let Some(bracketed) = authority.strip_prefix('[') {
        let (ip, after) = bracketed.split_once(']').ok_or("unterminated IPv6 address")?;
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("invalid IPv6 address");
        }
        match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("unexpected characters after the IPv6 address")?),
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        check_host_name(host)?;
        port
    };
    if let Some(port) = port {
        let valid = (1..=5).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !valid {
            return Err("the port must be a number from 1 to 65535");
        }
    }
    Ok(())
}

/// A DNS name or an IPv4 address (see [`validate_host_uri`]).
fn check_host_name(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("the host must not be empty");
    }
    if host.len() > 253 {
        return Err("the host is longer than 253 characters");
    }
    let last = host.rsplit('.').next().unwrap_or(host);
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return match host.parse::<std::net::Ipv4Addr>() {
            Ok(_) => Ok(()),
            Err(_) => Err("invalid IPv4 address"),
        };
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err("the host has an empty label");
        }
        if label.len() > 63 {
            return Err("a host label is longer than 63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err("the host may only contain letters, digits, `-` and `.`");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a host label must not start or end with `-`");
        }
    }
    Ok(())
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Registers the sender as a provider. `host_uri` must be an absolute `https://` URI
    /// with no path; attributes follow the key syntax, without wildcards, no duplicate keys.
    Register { host_uri: String, attributes: Vec<Attribute>, info: ProviderInfo },
    /// Replaces the sender's host URI, attributes and info.
    Update { host_uri: String, attributes: Vec<Attribute>, info: ProviderInfo },
    /// Deletes the sender's registration. Refused while the market reports active leases.
    Delete {},
    /// The sender, as auditor, signs attributes of `owner` (upsert by key).
    SignAttributes { owner: String, attributes: Vec<Attribute> },
    /// The sender, as auditor, withdraws its signature on the given keys of `owner`, or on all
    /// of them when `keys` is `None`.
    DeleteAttributes { owner: String, keys: Option<Vec<String>> },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// The registry's configuration.
    #[returns(ConfigResponse)]
    Config {},
    /// One provider; error if not registered.
    #[returns(Provider)]
    Provider { owner: String },
    /// Registered providers ordered by address, optionally only those declaring the attribute
    /// `key = value`.
    #[returns(ProvidersResponse)]
    Providers { attribute: Option<Attribute>, start_after: Option<String>, limit: Option<u32> },
    /// Attributes signed for `owner`, one entry per auditor, ordered by auditor address.
    #[returns(AuditedAttributesResponse)]
    AuditedAttributes { owner: String, start_after: Option<String>, limit: Option<u32> },
    /// The attributes one auditor signed for `owner` (empty list when none).
    #[returns(AuditRecord)]
    AuditorAttributes { owner: String, auditor: String },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
pub struct ConfigResponse {
    pub market: Addr,
}

/// A registered provider.
#[cw_serde]
pub struct Provider {
    pub owner: Addr,
    pub host_uri: String,
    pub attributes: Vec<Attribute>,
    pub info: ProviderInfo,
    /// Height of registration.
    pub created_at: u64,
}

#[cw_serde]
pub struct ProvidersResponse {
    pub providers: Vec<Provider>,
}

/// Attributes one auditor signed for one provider.
#[cw_serde]
pub struct AuditRecord {
    pub owner: Addr,
    pub auditor: Addr,
    pub attributes: Vec<Attribute>,
}

#[cw_serde]
pub struct AuditedAttributesResponse {
    pub records: Vec<AuditRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_uri_accepts_https_hosts_and_ports() {
        for ok in [
            "https://provider.example.com",
            "https://provider.example.com/",
            "https://1.2.3.4:8443",
            "https://a.b/",
            "https://localhost:1",
            "https://x-1.example:65535/",
            "https://[2001:db8::1]:8443",
            "https://[::1]/",
            "https://Provider.Example.COM",
        ] {
            assert_eq!(validate_host_uri(ok), Ok(()), "{ok:?} refused");
        }
        let longest = format!("https://{}.{}.{}.{}", "a".repeat(61), "b".repeat(61), "c".repeat(61), "d".repeat(62));
        assert_eq!(longest.len(), MAX_HOST_URI_LEN);
        assert_eq!(validate_host_uri(&longest), Ok(()));
    }

    #[test]
    fn host_uri_refusals_name_the_reason() {
        let too_long = format!("https://{}.com", "a".repeat(MAX_HOST_URI_LEN));
        for (bad, reason) in [
            ("http://provider.example.com", "must start with `https://`"),
            ("HTTPS://provider.example.com", "must start with `https://`"),
            ("provider.example.com", "must start with `https://`"),
            ("", "must start with `https://`"),
            ("https://", "the host must not be empty"),
            ("https:///", "the host must not be empty"),
            ("https://:8443", "the host must not be empty"),
            ("https://a.b/x", "a path is not allowed (only a single trailing `/`)"),
            ("https://a.b//", "a path is not allowed (only a single trailing `/`)"),
            ("https://a.b?x=1", "a query is not allowed"),
            ("https://a.b/?x=1", "a query is not allowed"),
            ("https://a.b#top", "a fragment is not allowed"),
            ("https://a.b/#top", "a fragment is not allowed"),
            ("https://user@a.b", "userinfo is not allowed"),
            ("https://user:pw@a.b:443", "userinfo is not allowed"),
            ("https://a.b:0", "the port must be a number from 1 to 65535"),
            ("https://a.b:70000", "the port must be a number from 1 to 65535"),
            ("https://a.b:", "the port must be a number from 1 to 65535"),
            ("https://a.b:+443", "the port must be a number from 1 to 65535"),
            ("https://a.b:443:1", "the port must be a number from 1 to 65535"),
            ("https://a.b:000443", "the port must be a number from 1 to 65535"),
            ("https://a b.com", "whitespace and control characters are not allowed"),
            (" https://a.b", "whitespace and control characters are not allowed"),
            ("https://a.b\n", "whitespace and control characters are not allowed"),
            (&too_long, "longer than MAX_HOST_URI_LEN (256 bytes)"),
            ("https://1.2.3.256", "invalid IPv4 address"),
            ("https://1.2.3", "invalid IPv4 address"),
            ("https://a..b", "the host has an empty label"),
            ("https://a.b.", "the host has an empty label"),
            ("https://-a.b", "a host label must not start or end with `-`"),
            ("https://a_b.c", "the host may only contain letters, digits, `-` and `.`"),
            ("https://[::1", "unterminated IPv6 address"),
            ("https://[not-ip]", "invalid IPv6 address"),
            ("https://[::1]x", "unexpected characters after the IPv6 address"),
        ] {
            assert_eq!(validate_host_uri(bad), Err(reason), "{bad:?}");
        }
        let long_label = format!("https://{}.com", "a".repeat(64));
        assert_eq!(validate_host_uri(&long_label), Err("a host label is longer than 63 characters"));
    }

    #[test]
    fn provider_info_rules() {
        let info = |email: &str, website: &str| ProviderInfo { email: email.into(), website: website.into() };
        for ok in [info("", ""), info("ops@example.com", "https://example.com"), info("a@b", "http://x")] {
            assert_eq!(ok.validate(), Ok(()), "{ok:?}");
        }
        for (bad, field) in [
            (info("ops.example.com", ""), "info.email"),
            (info("a@b@c", ""), "info.email"),
            (info("@b", ""), "info.email"),
            (info("a@", ""), "info.email"),
            (info("a @b", ""), "info.email"),
            (info("", "example.com"), "info.website"),
            (info("", "ftp://example.com"), "info.website"),
            (info("", "https://"), "info.website"),
            (info("", "https://exa mple.com"), "info.website"),
        ] {
            assert!(
                matches!(bad.validate(), Err(ValidationError::InvalidValue { field: f, .. }) if f == field),
                "{bad:?}"
            );
        }
        let long = info(&format!("a@{}", "b".repeat(MAX_INFO_LEN)), "");
        assert!(matches!(long.validate(), Err(ValidationError::TooLong { .. })));
        let control = info("", "https://a\u{7}");
        assert!(matches!(control.validate(), Err(ValidationError::InvalidValue { .. })));
    }
}
