#![no_main]

use framewise_fuzz::checks::{RoundTripLengthInput, check_roundtrip_length};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripLengthInput| check_roundtrip_length(input));
