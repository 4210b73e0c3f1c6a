//! The embedded single-validator block producer (`leaseholdd start --dev`): a mempool with
//! CheckTx admission ([`mempool`]), CometBFT-shaped headers and block ids ([`header`]), and the
//! loop that makes a block every interval and commits it ([`producer`]).

pub mod header;
pub mod mempool;
pub mod producer;

pub use header::DevValidator;
pub use mempool::Mempool;
pub use producer::{Broadcast, ProducedBlock, Producer, ProducerHandle, broadcast_channel};
