//! The `framewise` command-line tool as a subprocess, and the demonstrations.

#[path = "../support/mod.rs"]
pub mod support;

mod bench_cli;
mod cli_subprocess;
mod decode_cli;
mod demo;
mod tap_cli;
