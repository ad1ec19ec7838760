//! The `framewise` command-line tool.
fn main() {}
