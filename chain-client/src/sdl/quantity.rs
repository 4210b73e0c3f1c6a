//! Quantities as Akash's SDL writes them (`go/sdl/units.go`), parsed exactly (no floats).
//!
//! - CPU: `500m` is 500 millicores; a plain decimal counts whole CPUs (`0.5`, `2`, `.25`).
//!   Akash truncates below one millicore; here such precision is an error.
//! - Bytes (memory, storage): a decimal with an optional suffix, decimal `k M G T P E` (powers
//!   of 1000) or binary `Ki Mi Gi Ti Pi Ei` (powers of 1024); no suffix means bytes. A fraction of
//!   a byte is truncated, as in Akash.
//! - GPU RAM: binary suffixes only (Akash's `memoryQuantity`).

/// Decimal suffixes and binary suffixes, as in Akash's `unitSuffixes`.
const BYTE_SUFFIXES: [(&str, u128); 12] = [
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
    ("Pi", 1 << 50),
    ("Ei", 1 << 60),
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("E", 1_000_000_000_000_000_000),
];

/// Most fraction digits accepted in a quantity.
const MAX_FRACTION_DIGITS: usize = 18;

/// An unsigned decimal `int[.frac]`: the integer part and the fraction digits.
fn split_decimal(text: &str) -> Option<(&str, &str)> {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) || text.ends_with('.') {
        return None;
    }
    if frac.len() > MAX_FRACTION_DIGITS {
        return None;
    }
    Some((int, frac))
}

/// `int.frac x multiplier`, truncated to an integer, or `None` on overflow. `exact` refuses a
/// result with a fractional part.
fn scale(int: &str, frac: &str, multiplier: u128, exact: bool) -> Option<u64> {
    let int = if int.is_empty() { 0 } else { int.parse::<u128>().ok()? };
    let frac_value = if frac.is_empty() { 0 } else { frac.parse::<u128>().ok()? };
    let denom = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let whole = int.checked_mul(multiplier)?;
    let part = frac_value.checked_mul(multiplier)?;
    if exact && part % denom != 0 {
        return None;
    }
    u64::try_from(whole.checked_add(part / denom)?).ok()
}

/// Millicores from `500m`, `0.5`, `2`.
pub(crate) fn parse_cpu(text: &str) -> Result<u64, &'static str> {
    const HINT: &str = "is not a CPU quantity (write whole or fractional CPUs like 0.5 or 2, or millicores like 500m)";
    if let Some(millis) = text.strip_suffix('m') {
        if millis.is_empty() || !millis.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HINT);
        }
        return millis.parse::<u64>().map_err(|_| "is too large");
    }
    let (int, frac) = split_decimal(text).ok_or(HINT)?;
    if frac.len() > 3 && frac[3..].bytes().any(|b| b != b'0') {
        return Err("is finer than one millicore (0.001 CPU)");
    }
    scale(int, frac.get(..3.min(frac.len())).unwrap_or(""), 1000, true).ok_or("is too large")
}

fn split_suffix(text: &str, binary_only: bool) -> (&str, u128) {
    for (suffix, mult) in BYTE_SUFFIXES {
        if binary_only && !suffix.ends_with('i') {
            continue;
        }
        if let Some(number) = text.strip_suffix(suffix) {
            return (number, mult);
        }
    }
    (text, 1)
}

/// Bytes from `512Mi`, `1.5G`, `1000000`.
pub(crate) fn parse_bytes(text: &str) -> Result<u64, &'static str> {
    let (number, mult) = split_suffix(text, false);
    let (int, frac) = split_decimal(number)
        .ok_or("is not a size (write a number with an optional suffix: k, M, G, T or Ki, Mi, Gi, Ti)")?;
    scale(int, frac, mult, false).ok_or("is too large")
}

/// GPU memory as Akash encodes it in capability keys: a whole number of GiB, rendered `<N>Gi`.
pub(crate) fn parse_gpu_ram(text: &str) -> Result<String, &'static str> {
    let (number, mult) = split_suffix(text, true);
    let (int, frac) =
        split_decimal(number).ok_or("is not a GPU memory size (write it with a binary suffix, like 80Gi)")?;
    let bytes = scale(int, frac, mult, false).ok_or("is too large")?;
    if bytes == 0 || bytes % (1 << 30) != 0 {
        return Err("is not a whole number of Gi (GPU memory is matched as <N>Gi, like 80Gi)");
    }
    Ok(format!("{}Gi", bytes >> 30))
}

/// A non-negative integer written in decimal digits.
pub(crate) fn parse_uint(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities() {
        assert_eq!(parse_cpu("0.5"), Ok(500));
        assert_eq!(parse_cpu("500m"), Ok(500));
        assert_eq!(parse_cpu("1"), Ok(1000));
        assert_eq!(parse_cpu("2.25"), Ok(2250));
        assert_eq!(parse_cpu(".1"), Ok(100));
        assert_eq!(parse_cpu("0.0010"), Ok(1));
        assert_eq!(parse_cpu("100m"), Ok(100));
        for bad in ["abc", "", "m", "1.5m", "-1", "1e3", "1.", "0.0001", "1 ", " 1", "½"] {
            assert!(parse_cpu(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_cpu("99999999999999999999999").is_err());
    }

    #[test]
    fn byte_quantities() {
        assert_eq!(parse_bytes("512Mi"), Ok(512 << 20));
        assert_eq!(parse_bytes("2Gi"), Ok(2 << 30));
        assert_eq!(parse_bytes("1.5Gi"), Ok(3 << 29));
        assert_eq!(parse_bytes("1Ti"), Ok(1 << 40));
        assert_eq!(parse_bytes("1k"), Ok(1000));
        assert_eq!(parse_bytes("1Ki"), Ok(1024));
        assert_eq!(parse_bytes("2M"), Ok(2_000_000));
        assert_eq!(parse_bytes("3G"), Ok(3_000_000_000));
        assert_eq!(parse_bytes("1T"), Ok(1_000_000_000_000));
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("0.5k"), Ok(500));
        for bad in ["", "Gi", "1GB", "1gi", "1K", "-1Gi", "1.2.3Gi", "abc", "1 Gi", "1e9"] {
            assert!(parse_bytes(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_bytes("100E").is_err());
        assert!(parse_bytes("99999999999999999999").is_err());
    }

    #[test]
    fn gpu_ram() {
        assert_eq!(parse_gpu_ram("80Gi").as_deref(), Ok("80Gi"));
        assert_eq!(parse_gpu_ram("81920Mi").as_deref(), Ok("80Gi"));
        assert_eq!(parse_gpu_ram("1Ti").as_deref(), Ok("1024Gi"));
        for bad in ["80G", "80", "1.5Gi", "512Mi", "0Gi", "abc"] {
            assert!(parse_gpu_ram(bad).is_err(), "{bad:?} accepted");
        }
    }
}
