//! The escrow contract (work in progress).
