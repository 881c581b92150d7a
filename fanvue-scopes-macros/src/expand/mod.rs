//! One expander per macro family, each turning parsed input into code.

pub mod catalog;
pub mod endpoints;
pub mod names;
pub mod requires;
