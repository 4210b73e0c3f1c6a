//! Target `sdl`: arbitrary bytes as an SDL file through the client's parser
//! ([`parse_sdl`]), and every parsed file through the mapping to group specs and the manifest.
//!
//! Checked: nothing panics (deep nesting, anchors and aliases included); an error names a
//! 1-based line and column; parsing is deterministic and the manifest JSON is valid JSON whose
//! hash is stable.

use leasehold_client::sdl::parse_sdl;

/// Parses `data` (lossily as UTF-8); panics when a property fails.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match parse_sdl(&text) {
        Err(e) => {
            assert!(e.line() >= 1 && e.column() >= 1, "error without a position: {e}");
            let _ = e.to_string();
        }
        Ok(sdl) => {
            let _ = sdl.group_specs();
            let json = sdl.manifest_json();
            serde_json::from_str::<serde_json::Value>(&json)
                .unwrap_or_else(|e| panic!("the manifest is not JSON ({e}): {json}"));
            let again = parse_sdl(&text).unwrap_or_else(|e| panic!("parsed once, refused the second time: {e}"));
            assert_eq!(sdl.manifest_hash(), again.manifest_hash(), "the manifest hash is not stable");
        }
    }
}

/// Seeds: the repository's example SDL files.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = crate::common::repo_root().join("examples");
    let mut out = Vec::new();
    for name in ["gpu-inference", "multi-group", "web-service"] {
        let path = dir.join(format!("{name}.yaml"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((name.to_string(), bytes));
    }
    out
}
