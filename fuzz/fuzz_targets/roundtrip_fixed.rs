#![no_main]

use framewise_fuzz::checks::{RoundTripFixedInput, check_roundtrip_fixed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripFixedInput| check_roundtrip_fixed(input));
