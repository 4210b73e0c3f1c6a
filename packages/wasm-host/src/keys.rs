//! wasmd's key layout of the `wasm` store (`x/wasm/types/keys.go`), byte for byte.

use crate::proto::AbsoluteTxPosition;

/// The host's namespace for the wasm module in the shared [`crate::store::Store`].
pub const WASM_STORE: &[u8] = b"wasm/";

pub const CODE_PREFIX: u8 = 0x01;
pub const CONTRACT_PREFIX: u8 = 0x02;
pub const CONTRACT_STORE_PREFIX: u8 = 0x03;
pub const SEQUENCE_PREFIX: u8 = 0x04;
pub const HISTORY_PREFIX: u8 = 0x05;
pub const CONTRACT_BY_CODE_PREFIX: u8 = 0x06;
pub const PINNED_CODE_PREFIX: u8 = 0x07;
pub const CONTRACTS_BY_CREATOR_PREFIX: u8 = 0x09;

/// `0x04 "lastCodeId"`.
pub fn sequence_code_id() -> Vec<u8> {
    [&[SEQUENCE_PREFIX][..], b"lastCodeId"].concat()
}

/// `0x04 "lastContractId"`.
pub fn sequence_instance_id() -> Vec<u8> {
    [&[SEQUENCE_PREFIX][..], b"lastContractId"].concat()
}

/// `0x01 | code_id`.
pub fn code(code_id: u64) -> Vec<u8> {
    [&[CODE_PREFIX][..], &code_id.to_be_bytes()].concat()
}

/// `0x02 | contract address`.
pub fn contract(addr: &[u8]) -> Vec<u8> {
    [&[CONTRACT_PREFIX][..], addr].concat()
}

/// `0x03 | contract address`: the contract's own storage lives under this prefix.
pub fn contract_store(addr: &[u8]) -> Vec<u8> {
    [&[CONTRACT_STORE_PREFIX][..], addr].concat()
}

/// `0x05 | contract address | position`.
pub fn history(addr: &[u8], pos: u64) -> Vec<u8> {
    [&[HISTORY_PREFIX][..], addr, &pos.to_be_bytes()].concat()
}

/// `0x05 | contract address`.
pub fn history_prefix(addr: &[u8]) -> Vec<u8> {
    [&[HISTORY_PREFIX][..], addr].concat()
}

/// `0x06 | code_id | created | contract address`.
pub fn contract_by_code(code_id: u64, created: &AbsoluteTxPosition, addr: &[u8]) -> Vec<u8> {
    [&[CONTRACT_BY_CODE_PREFIX][..], &code_id.to_be_bytes(), &created.key_bytes(), addr].concat()
}

/// `0x07 | code_id`.
pub fn pinned_code(code_id: u64) -> Vec<u8> {
    [&[PINNED_CODE_PREFIX][..], &code_id.to_be_bytes()].concat()
}

/// `0x09 | len(creator) | creator | created | contract address`.
pub fn contract_by_creator(creator: &[u8], created: &AbsoluteTxPosition, addr: &[u8]) -> Vec<u8> {
    let len = u8::try_from(creator.len()).unwrap_or(u8::MAX);
    [&[CONTRACTS_BY_CREATOR_PREFIX, len][..], creator, &created.key_bytes(), addr].concat()
}
