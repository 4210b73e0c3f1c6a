//! The few protobuf messages of `cosmwasm.wasm.v1` the host stores or returns, encoded by hand
//! (field numbers from wasmd's `proto/cosmwasm/wasm/v1/{types,tx}.proto`) so that the bytes in
//! state and in replies are the ones wasmd produces.

/// Why bytes in state could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed protobuf: {0}")]
pub struct DecodeError(pub &'static str);

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }

    fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.key(field, 0);
            self.varint(v);
        }
    }

    fn bytes(&mut self, field: u32, v: &[u8]) {
        if !v.is_empty() {
            self.key(field, 2);
            self.varint(v.len() as u64);
            self.0.extend_from_slice(v);
        }
    }

    /// A embedded message, written even when empty (non-nullable gogoproto fields).
    fn message(&mut self, field: u32, v: &[u8]) {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.0.extend_from_slice(v);
    }
}

struct Reader<'a>(&'a [u8]);

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first().ok_or(DecodeError("truncated varint"))?;
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(DecodeError("varint too long"))
    }

    fn next(&mut self) -> Result<Option<(u32, Value<'a>)>, DecodeError> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| DecodeError("field number"))?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| DecodeError("length"))?;
                if len > self.0.len() {
                    return Err(DecodeError("truncated field"));
                }
                let (v, rest) = self.0.split_at(len);
                self.0 = rest;
                Value::Bytes(v)
            }
            _ => return Err(DecodeError("unsupported wire type")),
        };
        Ok(Some((field, value)))
    }
}

fn string(v: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(v.to_vec()).map_err(|_| DecodeError("invalid utf-8"))
}

/// `AbsoluteTxPosition`: block height and the transaction's index in the block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AbsoluteTxPosition {
    pub block_height: u64,
    pub tx_index: u64,
}

impl AbsoluteTxPosition {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.uint(1, self.block_height);
        w.uint(2, self.tx_index);
        w.0
    }

    fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader(b);
        let mut p = Self::default();
        while let Some((f, v)) = r.next()? {
            match (f, v) {
                (1, Value::Varint(x)) => p.block_height = x,
                (2, Value::Varint(x)) => p.tx_index = x,
                _ => {}
            }
        }
        Ok(p)
    }

    /// The 16-byte key form (height, index; big endian) used by wasmd's secondary indexes.
    pub fn key_bytes(&self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&self.block_height.to_be_bytes());
        k[8..].copy_from_slice(&self.tx_index.to_be_bytes());
        k
    }
}

/// `AccessType::Everybody`: who may instantiate a code (the host only supports everybody).
pub const ACCESS_TYPE_EVERYBODY: u64 = 3;

/// `CodeInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    pub code_hash: Vec<u8>,
    pub creator: String,
    /// `instantiate_config.permission` (addresses are not supported).
    pub instantiate_permission: u64,
}

impl CodeInfo {
    pub fn encode(&self) -> Vec<u8> {
        let mut access = Writer::default();
        access.uint(1, self.instantiate_permission);
        let mut w = Writer::default();
        w.bytes(1, &self.code_hash);
        w.bytes(2, self.creator.as_bytes());
        w.message(5, &access.0);
        w.0
    }

    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader(b);
        let mut c = CodeInfo { code_hash: Vec::new(), creator: String::new(), instantiate_permission: 0 };
        while let Some((f, v)) = r.next()? {
            match (f, v) {
                (1, Value::Bytes(x)) => c.code_hash = x.to_vec(),
                (2, Value::Bytes(x)) => c.creator = string(x)?,
                (5, Value::Bytes(x)) => {
                    let mut a = Reader(x);
                    while let Some((f, v)) = a.next()? {
                        if let (1, Value::Varint(p)) = (f, v) {
                            c.instantiate_permission = p;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(c)
    }
}

/// `ContractInfo` (without the extension; no IBC v1 port since the host has no IBC).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContractInfo {
    pub code_id: u64,
    pub creator: String,
    pub admin: String,
    pub label: String,
    pub created: Option<AbsoluteTxPosition>,
    pub ibc_port_id: String,
    pub ibc2_port_id: String,
}

impl ContractInfo {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.uint(1, self.code_id);
        w.bytes(2, self.creator.as_bytes());
        w.bytes(3, self.admin.as_bytes());
        w.bytes(4, self.label.as_bytes());
        if let Some(c) = &self.created {
            w.message(5, &c.encode());
        }
        w.bytes(6, self.ibc_port_id.as_bytes());
        w.bytes(8, self.ibc2_port_id.as_bytes());
        w.0
    }

    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader(b);
        let mut c = ContractInfo::default();
        while let Some((f, v)) = r.next()? {
            match (f, v) {
                (1, Value::Varint(x)) => c.code_id = x,
                (2, Value::Bytes(x)) => c.creator = string(x)?,
                (3, Value::Bytes(x)) => c.admin = string(x)?,
                (4, Value::Bytes(x)) => c.label = string(x)?,
                (5, Value::Bytes(x)) => c.created = Some(AbsoluteTxPosition::decode(x)?),
                (6, Value::Bytes(x)) => c.ibc_port_id = string(x)?,
                (8, Value::Bytes(x)) => c.ibc2_port_id = string(x)?,
                _ => {}
            }
        }
        Ok(c)
    }
}

/// `ContractCodeHistoryOperationType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryOperation {
    Init = 1,
    Migrate = 2,
}

/// `ContractCodeHistoryEntry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub operation: HistoryOperation,
    pub code_id: u64,
    pub updated: AbsoluteTxPosition,
    pub msg: Vec<u8>,
}

impl HistoryEntry {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.uint(1, self.operation as u64);
        w.uint(2, self.code_id);
        w.message(3, &self.updated.encode());
        w.bytes(4, &self.msg);
        w.0
    }

    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader(b);
        let mut e = HistoryEntry {
            operation: HistoryOperation::Init,
            code_id: 0,
            updated: AbsoluteTxPosition::default(),
            msg: Vec::new(),
        };
        while let Some((f, v)) = r.next()? {
            match (f, v) {
                (1, Value::Varint(2)) => e.operation = HistoryOperation::Migrate,
                (2, Value::Varint(x)) => e.code_id = x,
                (3, Value::Bytes(x)) => e.updated = AbsoluteTxPosition::decode(x)?,
                (4, Value::Bytes(x)) => e.msg = x.to_vec(),
                _ => {}
            }
        }
        Ok(e)
    }
}

/// `MsgInstantiateContractResponse` / `MsgInstantiateContract2Response`.
pub fn instantiate_response(address: &str, data: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(1, address.as_bytes());
    w.bytes(2, data);
    w.0
}

/// `MsgExecuteContractResponse` / `MsgMigrateContractResponse`.
pub fn data_response(data: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(1, data);
    w.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = ContractInfo {
            code_id: 300,
            creator: "lease1abc".into(),
            admin: String::new(),
            label: "market".into(),
            created: Some(AbsoluteTxPosition { block_height: 12, tx_index: 0 }),
            ibc_port_id: String::new(),
            ibc2_port_id: "wasm2xyz".into(),
        };
        assert_eq!(ContractInfo::decode(&c.encode()).unwrap(), c);
        let ci = CodeInfo { code_hash: vec![1; 32], creator: "lease1x".into(), instantiate_permission: 3 };
        assert_eq!(CodeInfo::decode(&ci.encode()).unwrap(), ci);
        assert!(ContractInfo::decode(&[0x0a, 0x05, 1]).is_err());
    }

    #[test]
    fn known_encodings() {
        // code_id = 1 (field 1 varint), label "a" (field 4), created {height 2} (field 5).
        let c = ContractInfo {
            code_id: 1,
            label: "a".into(),
            created: Some(AbsoluteTxPosition { block_height: 2, tx_index: 0 }),
            ..ContractInfo::default()
        };
        assert_eq!(c.encode(), vec![0x08, 0x01, 0x22, 0x01, b'a', 0x2a, 0x02, 0x08, 0x02]);
        assert_eq!(instantiate_response("ab", &[]), vec![0x0a, 0x02, b'a', b'b']);
        assert_eq!(data_response(&[]), Vec::<u8>::new());
        // varint over one byte
        assert_eq!(data_response(&[0; 200])[..3], [0x0a, 0xc8, 0x01]);
    }
}
