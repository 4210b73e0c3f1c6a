//! Persistent state: the redb database ([`db`]) and the app hash over each block's writes
//! ([`commitment`]).

pub mod commitment;
pub mod db;

pub use db::{CommitBatch, Db, DbSnapshot, EventPage, EventSearch};
