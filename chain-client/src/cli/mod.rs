//! The `leasehold` command line, built on the library: argument definitions ([`args`]), the
//! client config file ([`config`]), resolved settings ([`context`]), input parsing ([`parse`]),
//! output and progress ([`output`]), errors and exit codes ([`error`]), and the commands.

pub mod args;
pub mod commands;
pub mod config;
pub mod context;
pub mod error;
pub mod output;
pub mod parse;
