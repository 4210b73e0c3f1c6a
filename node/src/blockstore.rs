//! What the node keeps of each block: header, transactions, their results and events, and the
//! app hash after the block ([`StoredBlock`], protobuf-encoded in the `blocks` table).

use tendermint_proto::abci::{Event, ExecTxResult};
use tendermint_proto::types::{BlockId, Header};

/// One committed block.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StoredBlock {
    #[prost(message, optional, tag = "1")]
    pub header: Option<Header>,
    /// The block id (header hash and part-set header).
    #[prost(message, optional, tag = "2")]
    pub block_id: Option<BlockId>,
    #[prost(bytes = "vec", repeated, tag = "3")]
    pub txs: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "4")]
    pub results: Vec<ExecTxResult>,
    /// Block-level events (`FinalizeBlock` events outside any tx).
    #[prost(message, repeated, tag = "5")]
    pub events: Vec<Event>,
    /// The app hash after executing this block (it goes into the next block's header).
    #[prost(bytes = "vec", tag = "6")]
    pub app_hash: Vec<u8>,
}

impl StoredBlock {
    pub fn height(&self) -> u64 {
        self.header.as_ref().map_or(0, |h| u64::try_from(h.height).unwrap_or(0))
    }
}

/// A header's time as the `Env.block.time` contracts see (nanoseconds since the epoch; a
/// missing or pre-1970 time is 0).
pub fn block_time(header: Option<&Header>) -> cosmwasm_std::Timestamp {
    let t = header.and_then(|h| h.time).unwrap_or_default();
    let nanos = u64::try_from(t.seconds)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(t.nanos).unwrap_or(0));
    cosmwasm_std::Timestamp::from_nanos(nanos)
}
