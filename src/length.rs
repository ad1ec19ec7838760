//! stub

/// stub
#[derive(Debug, Clone)]
pub struct LengthPrefixed;
/// stub
#[derive(Debug, Clone)]
pub struct LengthPrefixedBuilder;
/// stub
#[derive(Debug, Clone, Copy)]
pub enum Width {}
/// stub
#[derive(Debug, Clone, Copy)]
pub enum Endian {}
