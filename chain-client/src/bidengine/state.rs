//! What the engine remembers across restarts (`<state_dir>/state.json`, written atomically).
//!
//! The chain is the record of bids and leases: on start the engine rebuilds its reservations
//! from its open bids and active leases there. The file holds what the chain cannot say: bid
//! transactions about to be broadcast or broadcast but not yet seen in a block (so a restart does not bid again on those
//! orders) and when each lease was last withdrawn.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::EngineError;

/// A bid transaction sent but not yet seen on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingBid {
    /// Chain height when it was broadcast.
    pub height: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EngineState {
    pub chain_id: String,
    pub market: String,
    pub provider: String,
    /// Order id → the bid tx in flight.
    #[serde(default)]
    pub pending_bids: BTreeMap<String, PendingBid>,
    /// Lease id → height of its last withdrawal by this engine.
    #[serde(default)]
    pub last_withdrawal: BTreeMap<String, u64>,
}

/// The state file of one engine.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(dir: &Path) -> StateFile {
        StateFile { path: dir.join("state.json") }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, reason: impl std::fmt::Display) -> EngineError {
        EngineError::State { path: self.path.clone(), reason: reason.to_string() }
    }

    /// The saved state if it belongs to this chain, market and provider; a fresh one otherwise
    /// (a state of another chain says nothing about this one).
    pub fn load(&self, chain_id: &str, market: &str, provider: &str) -> Result<EngineState, EngineError> {
        let fresh = EngineState {
            chain_id: chain_id.into(),
            market: market.into(),
            provider: provider.into(),
            ..EngineState::default()
        };
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(fresh),
            Err(e) => return Err(self.err(e)),
        };
        let saved: EngineState = serde_json::from_slice(&bytes).map_err(|e| {
            self.err(format!("{e} (delete the file to start over: bids and leases are re-read from the chain)"))
        })?;
        if saved.chain_id != chain_id || saved.market != market || saved.provider != provider {
            tracing::warn!(
                "{}: state of {} / {} / {}, not of this chain, market and provider: starting afresh",
                self.path.display(),
                saved.chain_id,
                saved.market,
                saved.provider
            );
            return Ok(fresh);
        }
        Ok(saved)
    }

    /// Writes `state` to a temporary file, syncs it and renames it over the old one.
    pub fn save(&self, state: &EngineState) -> Result<(), EngineError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.err(e))?;
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| self.err(e))?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(|e| self.err(e))?;
            f.write_all(&bytes).map_err(|e| self.err(e))?;
            f.sync_all().map_err(|e| self.err(e))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_loads_and_ignores_other_chains() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(&dir.path().join("nested"));
        let mut s = file.load("c", "m", "p").unwrap();
        assert!(s.pending_bids.is_empty());
        s.pending_bids.insert("o/1/1/1".into(), PendingBid { height: 7 });
        s.last_withdrawal.insert("l".into(), 9);
        file.save(&s).unwrap();
        assert_eq!(file.load("c", "m", "p").unwrap(), s);
        assert!(file.load("other", "m", "p").unwrap().pending_bids.is_empty());
        std::fs::write(file.path(), b"{not json").unwrap();
        let err = file.load("c", "m", "p").unwrap_err().to_string();
        assert!(err.contains("delete the file"), "{err}");
    }
}
