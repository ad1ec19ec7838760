#![no_main]

use framewise_fuzz::checks::{RoundTripLengthInput, check_roundtrip_varint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripLengthInput| check_roundtrip_varint(input));
