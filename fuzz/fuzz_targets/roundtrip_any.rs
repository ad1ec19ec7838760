#![no_main]

use framewise_fuzz::checks::{RoundTripAnyInput, check_roundtrip_any};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripAnyInput| check_roundtrip_any(input));
