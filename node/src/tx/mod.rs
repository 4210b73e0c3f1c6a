//! Transactions: decoding `TxRaw` into checked domain types ([`decode`]), the messages the
//! chain accepts ([`msgs`]), and the fee/size/count limits ([`limits`]).

pub mod decode;
pub mod limits;
pub mod msgs;

pub use decode::{DecodedTx, SignerInfo, decode_tx, tx_hash};
pub use limits::TxLimits;
pub use msgs::Msg;
