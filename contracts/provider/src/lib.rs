//! The provider contract (work in progress).
