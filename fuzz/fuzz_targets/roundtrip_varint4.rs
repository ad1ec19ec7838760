#![no_main]

use framewise_fuzz::checks::RoundTripLengthInput;
use framewise_fuzz::checks::framings::check_roundtrip_varint4;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripLengthInput| check_roundtrip_varint4(input));
