#![no_main]

use framewise_fuzz::checks::framings::{RoundTripAsciiInput, check_roundtrip_ascii};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripAsciiInput| check_roundtrip_ascii(input));
