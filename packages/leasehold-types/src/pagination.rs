//! Pagination bounds shared by every list query of the marketplace contracts.

/// Page size used when a query gives no `limit`.
pub const DEFAULT_LIMIT: u32 = 10;
/// Hard maximum page size; larger requested limits are clamped to it.
pub const MAX_LIMIT: u32 = 100;

/// The page size to use for a requested `limit`: the default when absent, never above the maximum,
/// never zero.
pub fn page_size(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_clamped() {
        assert_eq!(page_size(None), DEFAULT_LIMIT as usize);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(5)), 5);
        assert_eq!(page_size(Some(u32::MAX)), MAX_LIMIT as usize);
    }
}
