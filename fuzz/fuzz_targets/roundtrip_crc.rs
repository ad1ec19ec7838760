#![no_main]

use framewise_fuzz::checks::framings::{RoundTripCrcInput, check_roundtrip_crc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripCrcInput| check_roundtrip_crc(input));
