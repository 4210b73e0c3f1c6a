//! The market contract (work in progress).
