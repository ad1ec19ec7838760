//! stub

/// stub
#[derive(Debug, Clone)]
pub struct Delimited;
/// stub
#[derive(Debug, Clone)]
pub struct DelimitedBuilder;
