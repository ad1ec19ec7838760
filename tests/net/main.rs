//! The servers and clients of `framewise::net` on loopback.

#[path = "../support/mod.rs"]
pub mod support;

mod echo_load;
mod echo_server;
mod framed_tcp;
mod time_server;
mod udp_servers;
