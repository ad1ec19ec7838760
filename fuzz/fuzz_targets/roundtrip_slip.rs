#![no_main]

use framewise_fuzz::checks::framings::{RoundTripStuffedInput, check_roundtrip_slip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripStuffedInput| check_roundtrip_slip(input));
