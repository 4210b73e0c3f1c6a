//! Following the chain block by block while the demo waits: the latest height, polled, with a
//! guard against a chain that stopped, and the block time measured on the way.

use std::time::{Duration, Instant};

use crate::client::ChainClient;
use crate::demo::error::DemoError;

pub(crate) struct Blocks<'c> {
    client: &'c ChainClient,
    poll: Duration,
    stall: Duration,
    height: u64,
    /// When `height` was first seen.
    changed: Instant,
    /// The first height seen to change, and when: the start of the block-time measurement.
    first_change: Option<(u64, Instant)>,
    /// The latest height seen to change, and when.
    last_change: Option<(u64, Instant)>,
}

impl<'c> Blocks<'c> {
    pub(crate) async fn new(client: &'c ChainClient, poll: Duration, stall: Duration) -> Result<Self, DemoError> {
        let (height, _) = client.latest_block().await?;
        Ok(Blocks { client, poll, stall, height, changed: Instant::now(), first_change: None, last_change: None })
    }

    /// The latest height seen.
    pub(crate) fn height(&self) -> u64 {
        self.height
    }

    /// Records a height learnt elsewhere (a transaction's inclusion height).
    pub(crate) fn observe(&mut self, height: u64) {
        if height > self.height {
            self.height = height;
            self.changed = Instant::now();
        }
    }

    /// Polls until a block above the latest seen one is committed; returns its height.
    pub(crate) async fn next(&mut self) -> Result<u64, DemoError> {
        loop {
            tokio::time::sleep(self.poll).await;
            let (h, _) = self.client.latest_block().await?;
            if h > self.height {
                let now = Instant::now();
                self.height = h;
                self.changed = now;
                if self.first_change.is_none() {
                    self.first_change = Some((h, now));
                }
                self.last_change = Some((h, now));
                return Ok(h);
            }
            let waited = self.changed.elapsed();
            if waited >= self.stall {
                return Err(DemoError::Stalled { height: self.height, waited_secs: waited.as_secs() });
            }
        }
    }

    /// The average time between the blocks seen so far (from when each was first polled), once
    /// at least two changes were seen.
    pub(crate) fn block_time(&self) -> Option<Duration> {
        let ((h0, t0), (h1, t1)) = (self.first_change?, self.last_change?);
        let blocks = u32::try_from(h1.checked_sub(h0).filter(|b| *b > 0)?).ok()?;
        Some(t1.duration_since(t0) / blocks)
    }
}
